#include "cli/app.h"

#include <algorithm>

#include "cli/commands.h"

namespace runlet::cli {

int RunCli(std::vector<std::string> args, const std::vector<AddVerb>& verbs) {
  CLI::App app{"runlet: run untrusted code in a sandbox"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "runlet 0.1.0");
  for (AddVerb add : verbs) add(app);
  std::reverse(args.begin(), args.end());  // CLI11 takes them last-first
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const ExitWith& e) {
    return e.code;
  }
  return 0;
}

}  // namespace runlet::cli
