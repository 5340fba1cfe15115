// The rules every stored root file system follows, however it was made: no device
// nodes, fifos or sockets (sandboxes and container engines provide their own /dev), no
// setuid or setgid bits, no file capabilities; at the top level, none of the names Runlet
// owns (.runlet) and real directories at the mount points (proc, dev, tmp, work), so that
// nothing there can send a privileged write or mount through a symlink to the host. Imports enforce them while extracting;
// built trees (debootstrap makes device nodes and installs setuid programs) are brought
// into line here, so an image exported to Docker and imported back has the same digest.
#pragma once

#include <cstdint>
#include <string>

#include "core/error.h"

namespace runlet::image {

struct SanitizeStats {
  uint64_t removed_special = 0;   // device nodes, fifos, sockets
  uint64_t stripped_setid = 0;    // files and directories that lost setuid/setgid bits
  uint64_t removed_caps = 0;      // files that lost a security.capability attribute
  uint64_t replaced_own = 0;      // top-level entries Runlet owns, removed or made directories
};

// Walks the tree at `root` without following symlinks or leaving its file system. Makes
// the root 0755 and adds the mount points that are missing (tmp 1777, the others 0755,
// proc 0555): a container engine needs them to exist.
Result<SanitizeStats> SanitizeTree(const std::string& root);

}  // namespace runlet::image
