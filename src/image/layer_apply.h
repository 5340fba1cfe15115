// Applies one image layer (a tar, plain or compressed) to a root file system being
// assembled, with OCI whiteouts. The layer is untrusted: nothing it says can create,
// change or link anything outside the root.
//
//   - absolute paths and ".." components are refused; "./" and "//" are normalized;
//   - every path is resolved one component at a time with openat(O_NOFOLLOW) below the
//     root's fd, so a symlink (from this layer or a lower one) is never followed: an
//     entry whose parent is a symlink is refused;
//   - an existing entry is unlinked before a new one takes its name, so a file is never
//     written through an older symlink or hard link;
//   - hard links must name a regular file or symlink inside the root (same rules);
//   - device nodes, fifos and sockets are skipped; setuid/setgid bits are stripped;
//     extended attributes (file capabilities) are dropped;
//   - file contents and entries are counted against limits shared by all the layers of
//     one import; a declared size over the limit is refused before anything is written.
#pragma once

#include <cstdint>
#include <string>

#include "core/error.h"

namespace runlet::image {

struct ExtractLimits {
  uint64_t max_bytes = uint64_t{8} << 30;  // file contents, all layers together
  uint64_t max_entries = 2'000'000;        // archive entries, all layers together
  size_t max_path_bytes = 4096;
};

// What has been extracted so far; shared by the layers of one import.
struct ExtractStats {
  uint64_t bytes = 0;
  uint64_t entries = 0;
  uint64_t skipped_special = 0;  // device nodes, fifos, sockets
  uint64_t stripped_setid = 0;   // files and directories that lost setuid/setgid bits
  uint64_t whiteouts = 0;
};

// Applies the tar at `layer_path` (gzip, bzip2, xz, zstd or none) to the directory
// `root_fd`. On failure the tree is partly changed; the caller discards it.
Status ApplyLayer(int root_fd, const std::string& layer_path, const ExtractLimits& limits, ExtractStats& stats);

}  // namespace runlet::image
