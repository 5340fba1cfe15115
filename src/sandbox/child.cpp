#include "sandbox/child.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <initializer_list>

#include "sandbox/loopback.h"
#include "sandbox/step_message.h"
#include "sandbox/syscalls.h"

namespace runlet::sandbox {
namespace {

int g_step = -1;  // the step being started, for error reports (per process: no sharing)

// Where init decodes the step message. Static: the child allocates nothing, and being a
// forked copy it has these pages to itself.
char g_message[kMaxStepMessage];
char* g_strings[kMaxStepStrings];
ChildRlimit g_rlimits[kMaxSteps * kMaxStepRlimits];
ChildStep g_steps[kMaxSteps];

bool ReadFully(int fd, void* buffer, size_t size) {
  char* at = static_cast<char*>(buffer);
  while (size > 0) {
    ssize_t n = ::read(fd, at, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    at += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

[[noreturn]] void Die(const ChildPlan& plan, ChildStage stage, int err) {
  ChildError e{stage, err, g_step};
  ssize_t ignored = ::write(plan.error_fd, &e, sizeof e);
  (void)ignored;
  ::_exit(127);
}

#define CHECK(stage, expr)                               \
  do {                                                   \
    if ((expr) < 0) Die(plan, ChildStage::stage, errno); \
  } while (0)

// Bind `source` (host path) onto `target` (relative to the new root), read-only,
// nosuid, nodev, recursively.
int BindReadOnly(const ChildPlan& plan, const char* source, const char* target) {
  if (::mount(source, target, nullptr, MS_BIND | MS_REC, nullptr) < 0) return -1;
  if (plan.use_mount_setattr) {
    struct mount_attr attr {};
    attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
    return sys::MountSetattr(AT_FDCWD, target, AT_RECURSIVE | AT_SYMLINK_NOFOLLOW, &attr);
  }
  return ::mount(nullptr, target, nullptr,
                 MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr);
}

// Device nodes keep their dev semantics: read-only and nosuid only.
int BindDevice(const char* source, const char* target) {
  if (::mount(source, target, nullptr, MS_BIND, nullptr) < 0) return -1;
  return ::mount(nullptr, target, nullptr, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NOEXEC, nullptr);
}

void SetUpFileSystems(const ChildPlan& plan) {
  // Nothing done here may propagate back to the host.
  CHECK(kMountPrivate, ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr));
  CHECK(kAttachRoot, sys::MoveMount(plan.skeleton_fd, "", AT_FDCWD, plan.stage_dir,
                                    MOVE_MOUNT_F_EMPTY_PATH));
  CHECK(kAttachRoot, ::chdir(plan.stage_dir));
  for (size_t i = 0; i < plan.bind_count; ++i) {
    const char* target = plan.bind_targets[i];
    const bool device = target[0] == 'd' && target[1] == 'e' && target[2] == 'v' && target[3] == '/';
    CHECK(kBind, device ? BindDevice(plan.bind_sources[i], target)
                        : BindReadOnly(plan, plan.bind_sources[i], target));
  }
  // The disk is attached outside the new root, so that it goes with the host's root at
  // the pivot below: an unmount of its own would cost an RCU grace period (about 1 ms).
  CHECK(kDisk, sys::MoveMount(plan.disk_fd, "", AT_FDCWD, plan.disk_stage_dir, MOVE_MOUNT_F_EMPTY_PATH));
  CHECK(kDisk, ::mount(plan.disk_work, "work", nullptr, MS_BIND, nullptr));
  CHECK(kDisk, ::mount(plan.disk_tmp, "tmp", nullptr, MS_BIND, nullptr));
  CHECK(kDisk, ::mount(plan.disk_shm, "dev/shm", nullptr, MS_BIND, nullptr));
  // Terminals of the sandbox's own (a new devpts instance: no host PTY is visible), for
  // workspaces' shells and programs that want one (script, python's pty).
  CHECK(kDevPts, ::mount("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                         "newinstance,ptmxmode=0666,mode=0620"));
  for (size_t i = 0; i < plan.mask_count; ++i) {
    CHECK(kMask, ::mount("/dev/null", plan.masks[i], nullptr, MS_BIND, nullptr));
  }
  // A fresh /proc for the new pid namespace. It must be mounted while the host's /proc is
  // still visible in this namespace: the kernel refuses proc in a user namespace otherwise.
  CHECK(kProc, ::mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr));
  for (const char* path : {"proc/sys", "proc/sysrq-trigger", "proc/irq", "proc/bus"}) {
    if (::access(path, F_OK) != 0) continue;
    CHECK(kProc, ::mount(path, path, nullptr, MS_BIND | MS_REC, nullptr));
    CHECK(kProc, ::mount(nullptr, path, nullptr,
                         MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                         nullptr));
  }
  for (const char* path : {"proc/kcore", "proc/keys", "proc/timer_list", "proc/kallsyms"}) {
    if (::access(path, F_OK) != 0) continue;
    CHECK(kProc, ::mount("/dev/null", path, nullptr, MS_BIND, nullptr));
  }
  // Swap roots and drop the host's: afterwards no path leads outside.
  CHECK(kPivot, sys::PivotRoot(".", "."));
  CHECK(kPivot, ::umount2(".", MNT_DETACH));
  CHECK(kPivot, ::chdir("/"));
  // Set-up on another CPU than the supervisor's is over (ChildPlan): the programs may run
  // anywhere, on an idle CPU first.
  if (plan.program_cpus) (void)::syscall(SYS_sched_setaffinity, 0, sizeof(cpu_set_t), plan.program_cpus);
}

// Takes the set-up message (ChildPlan::setup_fd) and joins the cgroup through it.
void ReceiveSetup(ChildPlan& own) {
  const ChildPlan& plan = own;
  constexpr int kMaxFds = 16;
  alignas(struct cmsghdr) static char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  char byte = 0;
  struct iovec iov {&byte, 1};
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t got;
  do {
    got = ::recvmsg(plan.setup_fd, &msg, MSG_CMSG_CLOEXEC);
  } while (got < 0 && errno == EINTR);
  if (got == 0) ::_exit(0);  // the supervisor gave this sandbox up
  CHECK(kSetup, got);
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  if ((msg.msg_flags & MSG_CTRUNC) || !cmsg || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS ||
      cmsg->cmsg_len < CMSG_LEN(sizeof(int) * 2)) {
    Die(plan, ChildStage::kSetup, EPROTO);
  }
  // The root, the disk, then the cgroup files (none on v2).
  const int count = static_cast<int>((cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int));
  if (count > kMaxFds) Die(plan, ChildStage::kSetup, EPROTO);
  int fds[kMaxFds];
  __builtin_memcpy(fds, CMSG_DATA(cmsg), sizeof(int) * count);
  ::close(own.setup_fd);
  own.skeleton_fd = fds[0];
  own.disk_fd = fds[1];
  // A thread that writes "0" to a v1 `tasks` file moves itself, without the global lock
  // that moving another process takes (cgroup.h).
  for (int i = 2; i < count; ++i) {
    CHECK(kCgroupJoin, ::write(fds[i], "0", 1));
    ::close(fds[i]);
  }
}

void DropCapabilities(const ChildPlan& plan) {
  // Lock out any way back to privilege: no root magic for uid 0, no keeping caps.
  CHECK(kCapabilities,
        ::prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                                       SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
                                       SECBIT_NO_CAP_AMBIENT_RAISE |
                                       SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED));
  for (int cap = 0; cap <= 63; ++cap) {
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) Die(plan, ChildStage::kCapabilities, errno);
  }
  CHECK(kCapabilities, ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0));
}

void ClearCapabilitySets(const ChildPlan& plan) {
  struct __user_cap_header_struct header {};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  struct __user_cap_data_struct data[2] = {};
  CHECK(kCapabilities, ::syscall(SYS_capset, &header, data));
}

[[noreturn]] void RunProgram(const ChildPlan& plan, const ChildStep& step) {
  // The OOM killer's first choice in the sandbox's cgroup: the program, never init (whose
  // death would lose the run's result). Raising the score needs no privilege; the
  // program cannot lower it again. Best effort: a kernel without the file still runs.
  if (int fd = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC); fd >= 0) {
    (void)!::write(fd, "1000", 4);
    ::close(fd);
  }
  // No controlling terminal, and a session of its own.
  CHECK(kSession, ::setsid());
  if (step.stdin_null) {
    int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    CHECK(kStdio, null_fd);
    CHECK(kStdio, ::dup2(null_fd, 0));
  } else {
    CHECK(kStdio, ::dup2(plan.stdin_fd, 0));
  }
  CHECK(kStdio, ::dup2(plan.stdout_fd, 1));
  CHECK(kStdio, ::dup2(plan.stderr_fd, 2));

  // Identity: one uid/gid, no supplementary groups, no capabilities. Raw system calls:
  // glibc's wrappers apply them to every thread of the process, taking a lock for the
  // thread list first, and this process is a copy of a multi-threaded supervisor. If
  // another supervisor thread held that lock at clone time (starting or ending a
  // thread), the copy is locked forever and the program would hang here, never run.
  CHECK(kIdentity, ::syscall(SYS_setgroups, 0, nullptr));
  DropCapabilities(plan);
  CHECK(kIdentity, ::syscall(SYS_setresgid, plan.gid, plan.gid, plan.gid));
  CHECK(kIdentity, ::syscall(SYS_setresuid, plan.uid, plan.uid, plan.uid));
  ClearCapabilitySets(plan);

  for (size_t i = 0; i < step.rlimit_count; ++i) {
    CHECK(kRlimits, ::setrlimit(static_cast<__rlimit_resource>(step.rlimits[i].resource),
                                &step.rlimits[i].value));
  }
  CHECK(kNoNewPrivs, ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
  CHECK(kWorkdir, ::chdir(plan.workdir));

  // Keep only stdio and the error pipe (moved to fd 3, closed by execve).
  int error_fd = plan.error_fd;
  if (error_fd != 3) {
    CHECK(kStdio, ::dup3(error_fd, 3, O_CLOEXEC));
    error_fd = 3;
  }
  CHECK(kStdio, sys::CloseRange(4, ~0U));
  ChildPlan reporting = plan;
  reporting.error_fd = error_fd;

  // The seccomp filter, inherited from init, applies to execve too.
  int err = ENOENT;
  for (size_t i = 0; i < step.exec_candidate_count; ++i) {
    ::execve(step.exec_candidates[i], step.argv, step.envp);
    // Like execvp: remember a permission problem, keep looking after "not found".
    if (errno != ENOENT && errno != ENOTDIR) err = errno;
    if (errno != ENOENT && errno != ENOTDIR && errno != EACCES) break;
  }
  Die(reporting, ChildStage::kExec, err);
}

}  // namespace

const char* ChildStageName(ChildStage stage) {
  switch (stage) {
    case ChildStage::kSync: return "wait for the supervisor";
    case ChildStage::kCgroupNamespace: return "create cgroup namespace";
    case ChildStage::kMountPrivate: return "make mounts private";
    case ChildStage::kAttachRoot: return "attach root file system";
    case ChildStage::kBind: return "bind read-only root directories";
    case ChildStage::kDisk: return "mount work directory";
    case ChildStage::kMask: return "mask sensitive files";
    case ChildStage::kProc: return "mount /proc";
    case ChildStage::kPivot: return "pivot_root";
    case ChildStage::kHostname: return "set host name";
    case ChildStage::kFork: return "fork program";
    case ChildStage::kSession: return "setsid";
    case ChildStage::kStdio: return "set up standard streams";
    case ChildStage::kIdentity: return "switch to the sandbox user";
    case ChildStage::kCapabilities: return "drop capabilities";
    case ChildStage::kRlimits: return "set resource limits";
    case ChildStage::kNoNewPrivs: return "set no_new_privs";
    case ChildStage::kWorkdir: return "enter work directory";
    case ChildStage::kSeccomp: return "install seccomp filter";
    case ChildStage::kExec: return "execute program";
    case ChildStage::kNamespaces: return "create network, IPC and UTS namespaces";
    case ChildStage::kSetup: return "receive file systems";
    case ChildStage::kCgroupJoin: return "join cgroup";
    case ChildStage::kLoopback: return "bring up the loopback interface";
    case ChildStage::kDevPts: return "mount /dev/pts";
  }
  return "set up sandbox";
}

// Init's own name in /proc/1/cmdline and /proc/1/comm, in place of the supervisor's
// (ChildPlan::argv_area). A byte at a time through a volatile pointer: no library call
// (the child is a copy of a process whose allocator and sanitizers hold locks).
void HideSupervisorCommandLine(const ChildPlan& plan) {
  static constexpr char kName[] = "runlet-init";
  if (plan.argv_area && plan.argv_area_size > 0) {
    volatile char* area = plan.argv_area;
    for (size_t i = 0; i < plan.argv_area_size; ++i) area[i] = i < sizeof kName ? kName[i] : '\0';
    area[plan.argv_area_size - 1] = '\0';  // still one NUL-terminated argument list
  }
  (void)::prctl(PR_SET_NAME, kName, 0, 0, 0);
}

void RunSandboxInit(const ChildPlan& given) {
  const ChildPlan& plan = given;  // for CHECK until the fds are renumbered
  // If the supervisor dies, so does the sandbox: init's death kills the namespace.
  CHECK(kSync, ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0));
  HideSupervisorCommandLine(plan);

  // First, keep only what this sandbox needs, at fixed numbers: 0-2 the programs'
  // stdio, 3 the report pipe, 4 the sync pipe, 5 the error pipe, 6 the set-up socket.
  // Everything else the supervisor had open (other sandboxes' pipes among them) is
  // closed before anything else happens.
  const int wanted[] = {plan.stdin_fd, plan.stdout_fd, plan.stderr_fd, plan.report_fd,
                        plan.sync_fd,  plan.error_fd,  plan.setup_fd};
  constexpr int kWanted = sizeof wanted / sizeof wanted[0];
  int moved[kWanted];
  for (int i = 0; i < kWanted; ++i) {
    moved[i] = ::fcntl(wanted[i], F_DUPFD_CLOEXEC, 100);
    if (moved[i] < 0) Die(plan, ChildStage::kStdio, errno);
  }
  for (int i = 0; i < kWanted; ++i) {
    if ((i < 3 ? ::dup2(moved[i], i) : ::dup3(moved[i], i, O_CLOEXEC)) < 0) Die(plan, ChildStage::kStdio, errno);
  }
  sys::CloseRange(kWanted, ~0U);
  ChildPlan own = given;
  own.stdin_fd = 0;
  own.stdout_fd = 1;
  own.stderr_fd = 2;
  own.report_fd = 3;
  own.sync_fd = 4;
  own.error_fd = 5;
  own.setup_fd = 6;
  {
    const ChildPlan& plan = own;  // CHECK reports through the renumbered error pipe

  // The network, IPC and UTS namespaces are made here rather than at the clone, while
  // the supervisor, on another CPU, makes the cgroup and the file systems: a network
  // namespace alone takes half a millisecond. Nothing but this code runs before they exist.
  CHECK(kNamespaces, ::unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS));
  // Its own loopback (loopback.h): servers and clients inside may talk; nothing leaves.
  CHECK(kLoopback, BringLoopbackUp());
  ReceiveSetup(own);
  // The cgroup namespace is rooted where init is now, in the sandbox's cgroup.
  CHECK(kCgroupNamespace, ::unshare(CLONE_NEWCGROUP));

  // The file systems are built while the supervisor writes the files and the limits. No
  // program starts before the supervisor's go.
  SetUpFileSystems(own);
  ::close(own.skeleton_fd);
  ::close(own.disk_fd);
  CHECK(kHostname, ::sethostname("runlet", 6));
  CHECK(kHostname, ::setdomainname("runlet", 6));
  // Nobody in the sandbox may read init's memory or /proc entries.
  CHECK(kFork, ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0));
  // The seccomp filter, installed here while init waits for the supervisor (loading it
  // takes a fifth of a millisecond): every program inherits it from init at fork, and so
  // runs its own set-up below (identity, capabilities, rlimits) and execve under it. Init
  // needs nothing the filter refuses from here on (its namespaces, mounts and hostname
  // are done).
  CHECK(kSeccomp, ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, plan.seccomp, 0, 0));

  // Wait for the steps; EOF means the supervisor went away or gave the sandbox up.
  StepMessageHeader header{};
  if (!ReadFully(own.sync_fd, &header, sizeof header)) ::_exit(0);
  if (header.magic != kStepMagic || header.bytes > kMaxStepMessage || !ReadFully(own.sync_fd, g_message, header.bytes)) {
    Die(own, ChildStage::kSync, EINVAL);
  }
  const size_t step_count = DecodeSteps(g_message, header.bytes, g_steps, g_strings, g_rlimits);
  if (step_count == 0) Die(own, ChildStage::kSync, EINVAL);
  char go = 0;

  for (size_t index = 0; index < step_count; ++index) {
    if (index > 0) {
      ssize_t got;
      do {
        got = ::read(own.sync_fd, &go, 1);
      } while (got < 0 && errno == EINTR);
      if (got != 1) ::_exit(0);  // the supervisor wants no more steps
    }
    g_step = static_cast<int>(index);
    // fork() without glibc's atfork handlers: a lock held by another thread of the
    // supervisor at clone time would never be released here.
    pid_t program = static_cast<pid_t>(::syscall(SYS_clone, SIGCHLD, nullptr, nullptr, nullptr, nullptr));
    if (program < 0) Die(own, ChildStage::kFork, errno);
    if (program == 0) RunProgram(own, g_steps[index]);

    InitReport report{};
    report.step = static_cast<int>(index);
    for (;;) {
      int status = 0;
      struct rusage usage {};
      pid_t pid = ::wait4(-1, &status, 0, &usage);
      if (pid < 0 && errno == EINTR) continue;
      if (pid < 0) ::_exit(127);
      if (pid == program) {
        report.wait_status = status;
        report.usage = usage;
        break;
      }
    }
    if (index + 1 == step_count) {
      ssize_t ignored = ::write(own.report_fd, &report, sizeof report);
      (void)ignored;
      // Returning from pid 1 makes the kernel SIGKILL every process left in the namespace.
      ::_exit(0);
    }
    // Between steps nothing of the last one may live on: kill all but init, reap them.
    ::kill(-1, SIGKILL);
    for (;;) {
      int status = 0;
      if (::waitpid(-1, &status, 0) < 0 && errno != EINTR) break;
    }
    ssize_t ignored = ::write(own.report_fd, &report, sizeof report);
    (void)ignored;
  }
  ::_exit(0);
  }
}

}  // namespace runlet::sandbox
