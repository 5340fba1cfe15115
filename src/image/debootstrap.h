// Builds a Debian root file system with debootstrap (variant minbase).
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace runlet::image {

struct DebootstrapSpec {
  std::string suite;                  // bookworm, bullseye, trixie
  std::vector<std::string> packages;  // --include
  std::string mirror;                 // "" = $RUNLET_DEBIAN_MIRROR or http://deb.debian.org/debian
  std::string target;                 // an empty directory
};

// Debian suites the store builds from.
bool IsKnownSuite(std::string_view suite);
// Checks a Debian package name ([a-z0-9][a-z0-9+.-]+); "" when fine, else why not.
std::string CheckPackageName(std::string_view name);

// Runs debootstrap in its own mount namespace (the /proc, /sys and /dev mounts it makes
// inside the target vanish with it, even if it dies half-way), passing each line it
// prints to `on_line`. Blocks for minutes. Needs root. On failure the error carries the
// last lines of its output; the target is left for the caller to remove.
Status RunDebootstrap(const DebootstrapSpec& spec, const std::function<void(std::string_view)>& on_line);

// A program run in a mount namespace of its own (made private, so nothing it mounts
// reaches the host, and its mounts vanish when it ends), stdin /dev/null, stdout and
// stderr to one pipe read line by line.
struct ChildCommand {
  std::string path;               // absolute path of the program
  std::vector<std::string> args;  // argv, argv[0] included
  std::vector<std::string> env;
  // Runs in the child after the namespace is made, before execve: only async-signal-safe
  // calls (the caller may have threads), no allocation. Returns 0 or an errno.
  int (*prepare)(const void* context) = nullptr;
  const void* context = nullptr;
};
// Runs `cmd` to its end (blocks), passing each output line to `on_line` and keeping the
// last 15 in `last`. Returns its wait status; an error when it could not be started.
Result<int> RunChild(const ChildCommand& cmd, const std::function<void(std::string_view)>& on_line,
                     std::deque<std::string>& last);
std::string DescribeWaitStatus(int status);

// Leaves out what a read-only runtime image never needs: downloaded .debs, apt lists and caches.
Status TidyDebianRootfs(const std::string& rootfs);

}  // namespace runlet::image
