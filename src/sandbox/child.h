// The code that runs between clone() and execve(): the sandbox's init (pid 1 of the new
// pid namespace) and the user's program (pid 2). Everything here is prepared by the
// supervisor beforehand: the child allocates nothing, throws nothing, and reports
// failures as a ChildError through a close-on-exec pipe.
#pragma once

#include <sched.h>

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
  kNamespaces,
  kSetup,
  kCgroupJoin,
  kLoopback,
  kDevPts,
};
const char* ChildStageName(ChildStage stage);

struct ChildError {
  ChildStage stage;
  int sys_errno;
  int step;  // index of the step whose program failed to start, -1 for init
};

// What init tells the supervisor when a step's program has ended (and every other
// process it left behind has been killed).
struct InitReport {
  int step;
  int wait_status;
  struct rusage usage;
};

struct ChildRlimit {
  int resource;
  struct rlimit value;
};

// One program to run in the sandbox. Steps run one after another in the same file
// systems; init starts each when the supervisor sends a byte on sync_fd.
struct ChildStep {
  const char* const* exec_candidates;  // tried in order, as execvp walks PATH
  size_t exec_candidate_count;
  char* const* argv;
  char* const* envp;
  const ChildRlimit* rlimits;
  size_t rlimit_count;
  bool stdin_null;  // /dev/null instead of the stdin pipe
};

struct ChildPlan {
  // Pipes (sandbox ends).
  int sync_fd;    // read: the step message (once maps and cgroup are set), then a byte
                  // before each further step; EOF means stop
  int error_fd;   // write, close-on-exec: ChildError
  int report_fd;  // write: InitReport
  int stdin_fd, stdout_fd, stderr_fd;

  // Set-up channel (a SOCK_SEQPACKET socket): once, one byte with the detached root and
  // disk mounts (rootfs.h) and the cgroup files to write "0" to (cgroup.h, OpenSelfJoin),
  // all as SCM_RIGHTS. They are made while init makes its namespaces.
  int setup_fd;
  int skeleton_fd;  // received, then set by init itself
  int disk_fd;
  const char* stage_dir;  // an empty host directory where the new root is attached
  // Another, outside the new root, where the disk is attached while /work, /tmp and
  // /dev/shm are bound from it; it leaves with the host's root (no umount of its own).
  const char* disk_stage_dir;
  const char* disk_work;  // disk_stage_dir + "/work", "/tmp", "/shm"
  const char* disk_tmp;
  const char* disk_shm;
  const char* const* bind_sources;
  const char* const* bind_targets;
  size_t bind_count;
  const char* const* masks;
  size_t mask_count;
  bool use_mount_setattr;

  // CPUs for init's own set-up, and for the programs. A new task starts on its parent's
  // CPU and would take it from the supervisor, whose work runs in parallel with init's;
  // set-up runs on the other CPUs instead, and init returns to all before any program
  // starts. Null: no change (a single usable CPU).
  const cpu_set_t* setup_cpus;
  const cpu_set_t* program_cpus;

  // The supervisor's argument strings ([arg_start, arg_end) of /proc/self/stat), which
  // init, a copy of the supervisor, would show in its /proc/1/cmdline: init overwrites its
  // copy of them with its own name, so a run never reads the server's command line. Null
  // when unknown.
  char* argv_area;
  size_t argv_area_size;

  // Identity and limits of the program.
  uid_t uid;
  gid_t gid;
  const struct sock_fprog* seccomp;
  const char* workdir;
  // The steps arrive later, in a step message on sync_fd (step_message.h): a sandbox can
  // be prepared before anyone knows what it will run.
};

// Entry point of the cloned child. Never returns.
[[noreturn]] void RunSandboxInit(const ChildPlan& plan);

}  // namespace runlet::sandbox
