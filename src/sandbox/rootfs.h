// The file systems of one sandbox, prepared on the host side before any untrusted code
// exists: a read-only skeleton root (mount points, symlinks, /etc/passwd for the sandbox
// user) and a size- and inode-limited tmpfs holding /work, /tmp and /dev/shm. Both are
// detached mounts (new mount API) that the sandbox's init attaches in its own namespace,
// so nothing is ever mounted in the host's namespace and nothing is left on disk.
#pragma once

#include <sys/types.h>

#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/files.h"
#include "core/limits.h"
#include "core/unique_fd.h"

namespace runlet::sandbox {

// Files for the work directory (parents are created; paths checked by CheckRelativePath).
using runlet::InputFile;
using runlet::CheckRelativePath;

struct RootfsSpec {
  std::string rootfs = "/";      // "/" = read-only view of the host's toolchains (host_view.h)
  std::vector<std::string> host_paths;  // added to the host view (CheckHostPath)
  uid_t sandbox_uid = 0;         // in the sandbox
  uid_t host_uid = 0;            // owner (host view) of /work and /tmp
  uint64_t disk_bytes = 0;
  uint64_t disk_inodes = 0;
  std::string agent_path;        // host file bound read-only at /.runlet/agent ("" = none)
};

// What the host offers for a root, looked up before the sandbox's init exists (init
// gets a copy of it at clone time): the top level to recreate and what init binds.
struct RootfsLayout {
  struct Entry {
    std::string name;  // relative to the new root
    enum Kind { kDirectory, kFile, kSymlink } kind;
    std::string target;  // of a symlink; a file's content
  };
  std::vector<Entry> entries;  // the top level
  std::vector<Entry> files;    // below it (after .runlet), parents first: the runner's
                               // passwd, the host view's /etc, mount points
  std::vector<std::string> bind_sources;  // absolute host paths, bound read-only
  std::vector<std::string> bind_targets;  // relative to the new root
  std::vector<std::string> masks;         // relative paths hidden under /dev/null
  bool agent = false;                     // .runlet/agent is a mount point (RootfsSpec)
};

Result<RootfsLayout> PlanRootfs(const RootfsSpec& spec);

struct PreparedRootfs {
  UniqueFd skeleton;  // detached read-only tmpfs: the new /
  UniqueFd disk;      // detached tmpfs: work/, tmp/, shm/
  UniqueFd work;      // its work/ directory: stays valid after the mount moves into the
                      // sandbox, so files can be written in before the program starts
};

// Makes the two detached mounts of `layout`; may run while init already exists.
Result<PreparedRootfs> BuildRootfs(const RootfsSpec& spec, const RootfsLayout& layout);

// Copies `files_dir` (if not empty) and writes `files` into the work directory, owned by
// `host_uid`. Only for a sandbox in which no program has run yet. An error with
// sys_errno ENOSPC means the files exceed the disk limit.
Status PopulateWork(int work_fd, const std::string& files_dir, const std::vector<InputFile>& files,
                    uid_t host_uid);

// clone() copies the whole fd table, O_CLOEXEC or not: a file that one thread has open for
// writing in its sandbox's tmpfs would stay open in a sandbox another thread is cloning,
// until that child closes its inherited fds, and meanwhile the first sandbox could not
// make its root read-only (EBUSY) or run the file (ETXTBSY). So files are written under
// this lock held shared, and clone3 runs with it held exclusively.
std::shared_mutex& CloneFence();

}  // namespace runlet::sandbox
