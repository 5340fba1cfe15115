// The code that runs between clone() and execve(): the sandbox's init (pid 1 of the new
// pid namespace) and the user's program (pid 2). Everything here is prepared by the
// supervisor beforehand: the child allocates nothing, throws nothing, and reports
// failures as a ChildError through a close-on-exec pipe.
#pragma once

#include <linux/filter.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <cstddef>

namespace runlet::sandbox {

enum class ChildStage : int {
  kSync = 1,
  kCgroupNamespace,
  kMountPrivate,
  kAttachRoot,
  kBind,
  kDisk,
  kMask,
  kProc,
  kPivot,
  kHostname,
  kFork,
  kSession,
  kStdio,
  kIdentity,
  kCapabilities,
  kRlimits,
  kNoNewPrivs,
  kWorkdir,
  kSeccomp,
  kExec,
};
const char* ChildStageName(ChildStage stage);

struct ChildError {
  ChildStage stage;
  int sys_errno;
};

// What init tells the supervisor when the program (pid 2) has ended.
struct InitReport {
  int wait_status;
  struct rusage usage;
};

struct ChildRlimit {
  int resource;
  struct rlimit value;
};

struct ChildPlan {
  // Pipes (sandbox ends).
  int sync_fd;    // read: one byte once uid/gid maps and the cgroup are set
  int error_fd;   // write, close-on-exec: ChildError
  int report_fd;  // write: InitReport
  int stdin_fd, stdout_fd, stderr_fd;
  const int* supervisor_fds;  // the supervisor's ends, closed first thing
  size_t supervisor_fd_count;

  // File systems (see rootfs.h).
  int skeleton_fd;
  int disk_fd;
  const char* stage_dir;  // an empty host directory where the new root is attached
  const char* const* bind_sources;
  const char* const* bind_targets;
  size_t bind_count;
  const char* const* masks;
  size_t mask_count;
  bool use_mount_setattr;

  // Identity and limits of the program.
  uid_t uid;
  gid_t gid;
  const ChildRlimit* rlimits;
  size_t rlimit_count;
  const struct sock_fprog* seccomp;

  // The program: candidates are tried in order, as execvp walks PATH.
  const char* const* exec_candidates;
  size_t exec_candidate_count;
  char* const* argv;
  char* const* envp;
  const char* workdir;
};

// Entry point of the cloned child. Never returns.
[[noreturn]] void RunSandboxInit(const ChildPlan& plan);

}  // namespace runlet::sandbox
