// Writes a root file system as a tarball that `docker import` (and `podman import`)
// accept, so a container platform runs the very same bytes as the native sandbox.
#pragma once

#include <cstdint>
#include <string>

#include "core/error.h"

namespace runlet::image {

struct ExportStats {
  uint64_t entries = 0;
  uint64_t bytes = 0;            // file contents written
  uint64_t skipped_special = 0;  // device nodes, fifos, sockets (container engines make their own /dev)
};

// Tars the tree at `root` (pax format, paths relative to the root, sorted, hard links as
// links, owners and modes and mtimes kept) to `out_file`: written beside it and renamed
// into place, or to standard output for "-". Never follows symlinks.
Result<ExportStats> ExportRootfs(const std::string& root, const std::string& out_file);

}  // namespace runlet::image
