// Each CLI verb lives in its own file and registers itself on the app.
#pragma once

#include <CLI/CLI.hpp>

namespace runlet::cli {

// Thrown by a verb's callback to end the program with its exit code.
struct ExitWith {
  int code;
};

void AddExecCommand(CLI::App& app);
void AddRunCommand(CLI::App& app);
void AddServeCommand(CLI::App& app);
void AddRuntimesCommand(CLI::App& app);
// Arguments after `--` on a `runlet run` line: they go to the program, not to runlet.
std::vector<std::string>& RunPassthroughArgs();
void AddDoctorCommand(CLI::App& app);
void AddImageCommand(CLI::App& app);
void AddAdminCommand(CLI::App& app);

}  // namespace runlet::cli
