// `runlet-full`: every verb of the command line (see ../shared/API.md). `runlet` hands
// it every verb it does not hold itself, with the same arguments.
#include <algorithm>

#include "cli/app.h"
#include "cli/commands.h"

int main(int argc, char** argv) {
  using namespace runlet::cli;
  // `runlet run PATH... -- ARG...`: what follows `--` belongs to the program.
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "run") {
    auto dashes = std::find(args.begin(), args.end(), "--");
    if (dashes != args.end()) {
      RunPassthroughArgs().assign(dashes + 1, args.end());
      args.erase(dashes, args.end());
    }
  }
  return RunCli(std::move(args), {AddExecCommand, AddRunCommand, AddServeCommand, AddRuntimesCommand,
                                  AddDoctorCommand, AddImageCommand, AddAdminCommand});
}
