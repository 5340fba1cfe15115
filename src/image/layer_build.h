// Runtime images as layers over one shared base per Debian suite.
//
// A base is a debootstrap (minbase) of the suite, built once. A runtime's layer is what
// `apt-get install` of its packages adds: the install runs chrooted in an overlay mount
// whose lower directory is the base and whose upper directory collects every change, in
// a mount namespace of its own (nothing is mounted on the host, and the mounts vanish
// with the process). The layer is then merged into a plain root file system: the base's
// files are hard-linked (no data copied: read-only images share their inodes), and the
// upper directory's entries are moved over them, with overlayfs whiteouts deleting and
// opaque directories replacing. The sandbox sees an ordinary directory, so everything it
// does with an image root (OpenBeneath, no symlinks followed) holds unchanged.
//
// Every walk of a tree here goes one component at a time below a directory fd with
// O_NOFOLLOW: a symlink made by a package is never followed.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace runlet::image {

struct LayerInstallSpec {
  std::string base_rootfs;            // the lower directory (read only)
  std::string upper;                  // empty directories on the same file system:
  std::string work;                   //   overlayfs' upper and work directories,
  std::string merged;                 //   its mount point,
  std::string debs;                   //   and apt's download directory (kept out of the layer)
  std::vector<std::string> packages;  // checked names (CheckPackageName)
};

// Runs `apt-get update && apt-get install --no-install-recommends PACKAGES` chrooted in
// the overlay of `upper` over `base_rootfs`, passing each output line to `on_line`.
// Blocks for minutes; needs root. Safe to call from several threads at once.
Status InstallLayer(const LayerInstallSpec& spec, const std::function<void(std::string_view)>& on_line);

// Makes `target` (an empty directory) the base with the overlay upper directory `upper`
// applied: hard links to the base's files and symlinks, new directories with the base's
// modes and owners, then the upper's entries moved in (its whiteouts delete, its opaque
// directories replace). `upper` is consumed. Counts what it did in `linked` and `moved`.
struct MergeStats {
  uint64_t linked = 0;     // base entries hard-linked
  uint64_t moved = 0;      // upper entries moved in
  uint64_t whiteouts = 0;  // base entries the layer deleted
};
Result<MergeStats> MergeLayer(const std::string& base_rootfs, const std::string& upper, const std::string& target);

}  // namespace runlet::image
