// Builds a Debian root file system with debootstrap (variant minbase).
#pragma once

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

// Leaves out what a read-only runtime image never needs: downloaded .debs and apt lists.
Status TidyDebianRootfs(const std::string& rootfs);

}  // namespace runlet::image
