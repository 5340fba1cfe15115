// The identity of a root file system: a SHA-256 over every entry of the tree in sorted
// path order (byte order), each contributing its path, type, permission bits, owner,
// group, and its content: a regular file's size and SHA-256, a symlink's target, a device
// node's numbers. Modification times are left out, so the same tree digests the same
// wherever and whenever it was unpacked.
#pragma once

#include <cstdint>
#include <string>

#include "core/error.h"

namespace runlet::image {

struct TreeDigest {
  std::string digest;       // "sha256:<64 hex>"
  uint64_t size_bytes = 0;  // space used on disk (allocated blocks; hard links once)
  uint64_t entries = 0;     // files, directories, symlinks, ... below the root
};

// Reads the whole tree below `root` without following symlinks or leaving its file
// system. Blocks for as long as reading every file takes.
Result<TreeDigest> DigestTree(const std::string& root);

}  // namespace runlet::image
