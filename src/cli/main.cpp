// `runlet`: the command line (see ../shared/API.md). This binary holds only the verbs that
// need nothing but the sandbox (`exec`, `doctor`) and links nothing else, so that a
// `runlet exec` pays no dynamic loading of the server's libraries (SQLite, libarchive,
// Beast, ...: milliseconds per start). Every other verb, and the help that lists them
// all, is `runlet-full` beside this binary, executed in place with the same arguments:
// same pid, same streams, same exit code.
#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>

#include "cli/app.h"
#include "cli/commands.h"

namespace {

// Replaces this process with runlet-full from this binary's own directory.
int ExecFull(char** argv) {
  char self[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    std::cerr << "runlet: cannot find this binary (/proc/self/exe): " << std::strerror(errno) << "\n";
    return 125;
  }
  std::string path(self, static_cast<size_t>(n));
  path.resize(path.rfind('/') + 1);
  path += "runlet-full";
  ::execv(path.c_str(), argv);
  std::cerr << "runlet: this verb is in " << path << ", which cannot run: " << std::strerror(errno)
            << " (install runlet-full beside runlet)\n";
  return 125;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace runlet::cli;
  const std::string_view verb = argc > 1 ? argv[1] : "";
  if (verb != "exec" && verb != "doctor" && verb != "--version") return ExecFull(argv);
  return RunCli(std::vector<std::string>(argv + 1, argv + argc), {AddExecCommand, AddDoctorCommand});
}
