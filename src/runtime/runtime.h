// A runtime: what a user picks ("Python 3.11", "Go 1.19") and how code in it is built and run.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/limits.h"

namespace runlet::runtime {

struct FaqEntry {
  std::string question;
  std::string answer;
};

// A command: an argv (run as is) or a shell line (run by /bin/sh -c). Placeholders in
// either: {main} (the main file's path; "./" before it when it starts with '-'),
// {main_stem} (its name without extension), {heap_mb} (3/4 of the memory limit in MiB,
// for managed runtimes' heaps). In an argv they become the value; in a shell line a
// quoted variable ("${runlet_main}") that holds it, so file names never become shell code.
struct CommandTemplate {
  std::vector<std::string> argv;
  std::string shell;
  bool empty() const { return argv.empty() && shell.empty(); }
};

struct Runtime {
  std::string id;        // "python-3.11"
  // Former ids that still name it ("node" for node-18), so stored projects and scripts
  // that use them keep working.
  std::vector<std::string> aliases;
  std::string language;  // "python"
  std::string version;   // declared ("3.11"); the exact one is read from the toolchain
  std::string name;      // "Python 3.11"
  std::string os;        // "Debian 12 (bookworm)"
  std::string arch;      // "x86_64"
  std::string description;
  std::string image = "host";
  // The platform its jobs run on ("docker", "gvisor", ...) whatever the server's
  // default; "": the default.
  std::string platform;
  std::string main_file;                // "main.py"
  std::vector<std::string> extensions;  // ".py"
  std::vector<std::string> version_command;
  CommandTemplate build;  // empty: no build step
  CommandTemplate run;
  std::map<std::string, std::string> env;
  Limits build_limits;
  Limits run_limits;
  // Text in stderr that means the program ran out of memory although the kernel did
  // not kill it (a managed runtime's own heap limit): the status becomes memory_limit.
  std::vector<std::string> memory_errors;
  // How to build the image when it is missing: suite and packages for debootstrap.
  std::string image_suite;
  std::vector<std::string> image_packages;
  std::vector<FaqEntry> faq;
  bool enabled = true;
  std::string definition;  // the JSON document it was parsed from (runtimes/*.json form)
};

}  // namespace runlet::runtime
