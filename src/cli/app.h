// The command line's skeleton, shared by both binaries: `runlet` (the verbs that need
// only the sandbox, so that `runlet exec` starts fast) and `runlet-full` (every verb).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace runlet::cli {

using AddVerb = void (*)(CLI::App&);

// Parses `args` (argv without the program name) with `verbs` registered, runs the verb
// and returns the process's exit code.
int RunCli(std::vector<std::string> args, const std::vector<AddVerb>& verbs);

}  // namespace runlet::cli
