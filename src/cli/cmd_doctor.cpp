// `runlet doctor`: what this host offers the sandbox, and what is missing.
#include <iostream>

#include "cli/commands.h"
#include "sandbox/features.h"

namespace runlet::cli {

void AddDoctorCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("doctor", "Show what the host offers the sandbox");
  cmd->callback([] {
    auto features = sandbox::DetectFeatures();
    if (!features) {
      std::cerr << "runlet doctor: " << features.error().message << "\n";
      throw ExitWith{1};
    }
    std::cout << sandbox::DescribeFeatures(*features);
    throw ExitWith{0};
  });
}

}  // namespace runlet::cli
