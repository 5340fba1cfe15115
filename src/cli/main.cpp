#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"runlet: run untrusted code in a sandbox"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "runlet 0.1.0");
  runlet::cli::AddExecCommand(app);
  runlet::cli::AddRunCommand(app);
  runlet::cli::AddServeCommand(app);
  runlet::cli::AddRuntimesCommand(app);
  runlet::cli::AddDoctorCommand(app);
  runlet::cli::AddImageCommand(app);
  runlet::cli::AddAdminCommand(app);
  // `runlet run PATH... -- ARG...`: what follows `--` belongs to the program.
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "run") {
    auto dashes = std::find(args.begin(), args.end(), "--");
    if (dashes != args.end()) {
      runlet::cli::RunPassthroughArgs().assign(dashes + 1, args.end());
      args.erase(dashes, args.end());
    }
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes them last-first
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const runlet::cli::ExitWith& e) {
    return e.code;
  }
  return 0;
}
