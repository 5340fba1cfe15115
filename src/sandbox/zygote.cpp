#include "sandbox/zygote.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <future>
#include <string>
#include <vector>

#include "sandbox/syscalls.h"

namespace runlet::sandbox {
namespace {

// A request: RequestHeader, then filter_len BPF instructions, then the NUL-terminated
// strings stage_dir, disk_stage_dir, disk_work, disk_tmp, disk_shm, workdir, the bind
// sources, the bind targets and the masks; with the plan's pipes as SCM_RIGHTS
// (kPlanFds of them, in ChildPlan order, then the cgroup directory if has_cgroup).
// The reply: a Reply, with init's pidfd as SCM_RIGHTS when result > 0.
constexpr uint32_t kRequestMagic = 0x524c5a47;  // "RLZG"
constexpr size_t kMaxRequest = 128 * 1024;
constexpr size_t kFixedStrings = 6;
constexpr size_t kMaxStrings = 1024;
constexpr size_t kMaxFilter = BPF_MAXINSNS;
constexpr int kPlanFds = 7;  // sync, error, report, stdin, stdout, stderr, setup

struct RequestHeader {
  uint32_t magic;
  uint32_t bind_count, mask_count, filter_len;
  uint64_t flags;
  uint32_t uid, gid;
  uint8_t use_mount_setattr, has_cpus, has_cgroup, reserved;
  cpu_set_t setup_cpus, program_cpus;
  uint64_t argv_area, argv_area_size;
};

struct Reply {
  int64_t result;  // init's pid, or -errno
};

// The zygote's request, decoded in place: init gets a copy of all of it at the clone.
alignas(16) char g_request[kMaxRequest];
const char* g_strings[kMaxStrings];
struct sock_filter g_filter[kMaxFilter];
struct sock_fprog g_fprog;
cpu_set_t g_setup_cpus, g_program_cpus;

// Fills `plan` (fds excepted) from g_request[0, size). False if malformed.
bool DecodeRequest(size_t size, ChildPlan& plan, RequestHeader& header) {
  if (size < sizeof header) return false;
  __builtin_memcpy(&header, g_request, sizeof header);
  if (header.magic != kRequestMagic || header.filter_len == 0 || header.filter_len > kMaxFilter) return false;
  const size_t strings = kFixedStrings + 2 * static_cast<size_t>(header.bind_count) + header.mask_count;
  if (header.bind_count > kMaxStrings || header.mask_count > kMaxStrings || strings > kMaxStrings) return false;
  size_t at = sizeof header;
  const size_t filter_bytes = header.filter_len * sizeof(struct sock_filter);
  if (size - at < filter_bytes) return false;
  __builtin_memcpy(g_filter, g_request + at, filter_bytes);
  at += filter_bytes;
  for (size_t i = 0; i < strings; ++i) {
    const void* nul = at < size ? std::memchr(g_request + at, '\0', size - at) : nullptr;
    if (!nul) return false;
    g_strings[i] = g_request + at;
    at = static_cast<size_t>(static_cast<const char*>(nul) - g_request) + 1;
  }
  if (at != size) return false;
  g_fprog.len = static_cast<unsigned short>(header.filter_len);
  g_fprog.filter = g_filter;
  g_setup_cpus = header.setup_cpus;
  g_program_cpus = header.program_cpus;
  plan.skeleton_fd = plan.disk_fd = -1;
  plan.stage_dir = g_strings[0];
  plan.disk_stage_dir = g_strings[1];
  plan.disk_work = g_strings[2];
  plan.disk_tmp = g_strings[3];
  plan.disk_shm = g_strings[4];
  plan.workdir = g_strings[5];
  plan.bind_sources = g_strings + kFixedStrings;
  plan.bind_targets = g_strings + kFixedStrings + header.bind_count;
  plan.bind_count = header.bind_count;
  plan.masks = g_strings + kFixedStrings + 2 * header.bind_count;
  plan.mask_count = header.mask_count;
  plan.use_mount_setattr = header.use_mount_setattr != 0;
  plan.setup_cpus = header.has_cpus ? &g_setup_cpus : nullptr;
  plan.program_cpus = header.has_cpus ? &g_program_cpus : nullptr;
  plan.argv_area = reinterpret_cast<char*>(static_cast<uintptr_t>(header.argv_area));
  plan.argv_area_size = static_cast<size_t>(header.argv_area_size);
  plan.uid = header.uid;
  plan.gid = header.gid;
  plan.seccomp = &g_fprog;
  return true;
}

void SendReply(int socket, int64_t result, int pidfd) {
  Reply reply{result};
  struct iovec iov {&reply, sizeof reply};
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  if (pidfd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    __builtin_memcpy(CMSG_DATA(cmsg), &pidfd, sizeof(int));
  }
  while (::sendmsg(socket, &msg, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

// The zygote's life: one request, one clone, one reply, until the supervisor closes the
// socket. Raw system calls only (no allocation, no library locks). `argv_area`, if not
// null, is the zygote's own argument strings (an executed zygote's), which init
// overwrites in its copy, in place of the supervisor's that the request names.
[[noreturn]] void ZygoteMain(int socket, pid_t supervisor, char* argv_area, size_t argv_area_size, bool executed) {
  (void)::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (::getppid() != supervisor) ::_exit(0);  // the thread ended before the line above
  (void)::prctl(PR_SET_NAME, "runlet-zygote", 0, 0, 0);
  // Only the socket, at 3 (0-2 stay: init replaces them with the sandbox's pipes).
  if (socket != 3 && (::dup3(socket, 3, O_CLOEXEC) < 0)) ::_exit(127);
  socket = 3;
  sys::CloseRange(4, ~0U);
  SendReply(socket, executed ? 1 : 0, -1);  // ready

  constexpr int kMaxFds = kPlanFds + 1;
  for (;;) {
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
    struct iovec iov {g_request, sizeof g_request};
    struct msghdr msg {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t got = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) ::_exit(0);  // the supervisor is done (or gone)

    int fds[kMaxFds];
    int fd_count = 0;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      const int n = static_cast<int>((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
      for (int i = 0; i < n; ++i) {
        int fd;
        __builtin_memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        if (fd_count < kMaxFds) {
          fds[fd_count++] = fd;
        } else {
          ::close(fd);
        }
      }
    }
    auto close_fds = [&] {
      for (int i = 0; i < fd_count; ++i) ::close(fds[i]);
    };

    ChildPlan plan{};
    RequestHeader header{};
    const bool valid = !(msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) &&
                       DecodeRequest(static_cast<size_t>(got), plan, header) &&
                       fd_count == kPlanFds + (header.has_cgroup ? 1 : 0);
    if (!valid) {
      close_fds();
      SendReply(socket, -EPROTO, -1);
      continue;
    }
    plan.sync_fd = fds[0];
    plan.error_fd = fds[1];
    plan.report_fd = fds[2];
    plan.stdin_fd = fds[3];
    plan.stdout_fd = fds[4];
    plan.stderr_fd = fds[5];
    plan.setup_fd = fds[6];
    if (argv_area) {
      plan.argv_area = argv_area;
      plan.argv_area_size = argv_area_size;
    }

    int pidfd = -1;
    struct clone_args args {};
    args.flags = (header.flags & (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC |
                                  CLONE_NEWUTS | CLONE_NEWCGROUP)) |
                 CLONE_PARENT | CLONE_PIDFD;
    args.pidfd = reinterpret_cast<uintptr_t>(&pidfd);
    // With CLONE_PARENT the child's exit signal is the zygote's own (SIGCHLD), and
    // clone3 refuses another.
    args.exit_signal = 0;
    if (header.has_cgroup) {
      args.flags |= CLONE_INTO_CGROUP;
      args.cgroup = static_cast<uint64_t>(fds[kPlanFds]);
    }
    // As in a clone by the supervisor (sandbox.cpp): init is born SCHED_BATCH so that it
    // does not take this CPU at once, moves to the set-up CPUs, and both return to the
    // normal policy.
    const int policy = ::sched_getscheduler(0);
    struct sched_param no_priority {};
    const bool batch = plan.setup_cpus && policy == SCHED_OTHER && ::sched_setscheduler(0, SCHED_BATCH, &no_priority) == 0;
    const long cloned = sys::Clone3(&args);
    if (cloned == 0) RunSandboxInit(plan);  // never returns
    const int clone_errno = errno;
    if (cloned > 0 && plan.setup_cpus) {
      (void)::sched_setaffinity(static_cast<pid_t>(cloned), sizeof(cpu_set_t), plan.setup_cpus);
    }
    if (batch) {
      if (cloned > 0) (void)::sched_setscheduler(static_cast<pid_t>(cloned), SCHED_OTHER, &no_priority);
      (void)::sched_setscheduler(0, SCHED_OTHER, &no_priority);
    }
    // Init has its copies: the supervisor must see EOF on the error pipe once init is gone.
    close_fds();
    SendReply(socket, cloned > 0 ? cloned : -clone_errno, pidfd);
    if (pidfd >= 0) ::close(pidfd);
  }
}

void PutString(std::string& out, const char* s) { out.append(s, std::strlen(s) + 1); }

}  // namespace

int ZygoteProgramMain(int argc, char** argv) {
  int type = 0;
  socklen_t length = sizeof type;
  char* end = nullptr;
  const long supervisor = argc == 2 ? std::strtol(argv[1], &end, 10) : 0;
  if (supervisor <= 0 || !end || *end != '\0' || ::getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &length) < 0 ||
      type != SOCK_SEQPACKET) {
    static constexpr char kUsage[] =
        "runlet-zygote: started by `runlet serve` only (it clones the server's sandboxes)\n";
    (void)!::write(2, kUsage, sizeof kUsage - 1);
    return 2;
  }
  // Its own argument strings, contiguous from argv[0] to the end of the last.
  char* area = argv[0];
  const size_t area_size = static_cast<size_t>(argv[argc - 1] + std::strlen(argv[argc - 1]) + 1 - argv[0]);
  ZygoteMain(3, static_cast<pid_t>(supervisor), area, area_size, true);
}

std::string ZygoteProgramBesideSelf() {
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return "";
  std::string path(self, static_cast<size_t>(n));
  path.resize(path.rfind('/') + 1);
  path += "runlet-zygote";
  return ::access(path.c_str(), X_OK) == 0 ? path : "";
}

Result<std::unique_ptr<Zygote>> Zygote::Start(const std::string& program) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) return FailErrno("zygote: socketpair");
  UniqueFd ours(pair[0]), theirs(pair[1]);
  std::unique_ptr<Zygote> zygote(new Zygote());
  auto forked = std::make_shared<std::promise<long>>();
  auto pid_future = forked->get_future();
  Zygote* z = zygote.get();
  const int child_end = theirs.get();
  const pid_t supervisor = ::getpid();
  // What the child executes, made here: it allocates nothing.
  const std::string supervisor_text = std::to_string(supervisor);
  const char* const argv[] = {"runlet-zygote", supervisor_text.c_str(), nullptr};
  const char* const envp[] = {nullptr};
  const char* path = program.empty() ? nullptr : program.c_str();
  zygote->owner_ = std::thread([z, child_end, supervisor, forked, path, &argv, &envp] {
    // fork() without glibc's atfork handlers: the copy must not run them (locks held by
    // other threads), and runs only ZygoteMain.
    const long pid = ::syscall(SYS_clone, SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    if (pid == 0) {
      if (path) {
        (void)::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);  // kept across the exec
        if (::getppid() != supervisor) ::_exit(0);
        if (::dup2(child_end, 3) == 3) {  // without close-on-exec
          sys::CloseRange(4, ~0U);
          ::execve(path, const_cast<char* const*>(argv), const_cast<char* const*>(envp));
          ZygoteMain(3, supervisor, nullptr, 0, false);  // it could not: stay a copy
        }
      }
      ZygoteMain(child_end, supervisor, nullptr, 0, false);
    }
    forked->set_value(pid < 0 ? -errno : pid);
    std::unique_lock lock(z->owner_mu_);
    z->owner_cv_.wait(lock, [z] { return z->stopping_; });
  });
  const long pid = pid_future.get();
  if (pid < 0) {
    {
      std::lock_guard lock(zygote->owner_mu_);
      zygote->stopping_ = true;
    }
    zygote->owner_cv_.notify_all();
    zygote->owner_.join();
    return FailErrno("zygote: fork", static_cast<int>(-pid));
  }
  zygote->pid_ = static_cast<pid_t>(pid);
  theirs.Reset();
  // Its first word: ready, and whether it executed `program`.
  Reply hello{};
  ssize_t got;
  do {
    got = ::recv(ours.get(), &hello, sizeof hello, 0);
  } while (got < 0 && errno == EINTR);
  zygote->socket_ = std::move(ours);
  if (got != sizeof hello) {
    zygote->alive_ = false;  // ~Zygote reaps it; the caller clones by itself
    return Fail("zygote: it did not start");
  }
  zygote->executed_ = hello.result == 1;
  return zygote;
}

Zygote::~Zygote() {
  socket_.Reset();  // the zygote reads EOF and exits
  if (pid_ > 0) {
    int status;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  {
    std::lock_guard lock(owner_mu_);
    stopping_ = true;
  }
  owner_cv_.notify_all();
  if (owner_.joinable()) owner_.join();
}

Result<Zygote::Cloned> Zygote::Clone(const ChildPlan& plan, uint64_t flags, int cgroup_fd) {
  RequestHeader header{};
  header.magic = kRequestMagic;
  header.bind_count = static_cast<uint32_t>(plan.bind_count);
  header.mask_count = static_cast<uint32_t>(plan.mask_count);
  header.filter_len = plan.seccomp->len;
  header.flags = flags;
  header.uid = plan.uid;
  header.gid = plan.gid;
  header.use_mount_setattr = plan.use_mount_setattr ? 1 : 0;
  header.has_cpus = plan.setup_cpus && plan.program_cpus ? 1 : 0;
  if (header.has_cpus) {
    header.setup_cpus = *plan.setup_cpus;
    header.program_cpus = *plan.program_cpus;
  }
  header.has_cgroup = cgroup_fd >= 0 ? 1 : 0;
  header.argv_area = reinterpret_cast<uintptr_t>(plan.argv_area);
  header.argv_area_size = plan.argv_area_size;
  if (kFixedStrings + 2 * plan.bind_count + plan.mask_count > kMaxStrings || plan.seccomp->len > kMaxFilter) {
    return Fail("zygote: the sandbox has too many mounts for one request");
  }
  std::string request(reinterpret_cast<const char*>(&header), sizeof header);
  request.append(reinterpret_cast<const char*>(plan.seccomp->filter), plan.seccomp->len * sizeof(struct sock_filter));
  for (const char* s : {plan.stage_dir, plan.disk_stage_dir, plan.disk_work, plan.disk_tmp, plan.disk_shm, plan.workdir}) {
    PutString(request, s);
  }
  for (size_t i = 0; i < plan.bind_count; ++i) PutString(request, plan.bind_sources[i]);
  for (size_t i = 0; i < plan.bind_count; ++i) PutString(request, plan.bind_targets[i]);
  for (size_t i = 0; i < plan.mask_count; ++i) PutString(request, plan.masks[i]);
  if (request.size() > kMaxRequest) return Fail("zygote: the sandbox's plan is too large for one request");

  std::vector<int> fds{plan.sync_fd, plan.error_fd, plan.report_fd, plan.stdin_fd,
                       plan.stdout_fd, plan.stderr_fd, plan.setup_fd};
  if (cgroup_fd >= 0) fds.push_back(cgroup_fd);
  std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()));
  struct iovec iov {request.data(), request.size()};
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
  std::memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * fds.size());

  std::lock_guard lock(mu_);
  if (!socket_) return Fail("zygote: not running");
  ssize_t sent;
  do {
    sent = ::sendmsg(socket_.get(), &msg, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent != static_cast<ssize_t>(request.size())) {
    const int err = errno;
    if (sent < 0 && (err == EPIPE || err == ECONNRESET)) alive_ = false;
    return FailErrno("zygote: send request", err);
  }

  Reply reply{};
  alignas(struct cmsghdr) char reply_control[CMSG_SPACE(sizeof(int))];
  struct iovec reply_iov {&reply, sizeof reply};
  struct msghdr in {};
  in.msg_iov = &reply_iov;
  in.msg_iovlen = 1;
  in.msg_control = reply_control;
  in.msg_controllen = sizeof reply_control;
  ssize_t got;
  do {
    got = ::recvmsg(socket_.get(), &in, MSG_CMSG_CLOEXEC);
  } while (got < 0 && errno == EINTR);
  if (got == 0) {
    alive_ = false;
    return Fail("zygote: it has exited");
  }
  if (got != sizeof reply) return FailErrno("zygote: read reply");
  UniqueFd pidfd;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&in); c; c = CMSG_NXTHDR(&in, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
      pidfd.Reset(fd);
    }
  }
  if (reply.result < 0) return FailErrno("clone3 (zygote)", static_cast<int>(-reply.result));
  if (!pidfd) return Fail("zygote: no pidfd for the new sandbox");
  return Cloned{static_cast<pid_t>(reply.result), std::move(pidfd)};
}

}  // namespace runlet::sandbox
