#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"runlet: run untrusted code in a sandbox"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "runlet 0.1.0");
  runlet::cli::AddExecCommand(app);
  runlet::cli::AddDoctorCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const runlet::cli::ExitWith& e) {
    return e.code;
  }
  return 0;
}
