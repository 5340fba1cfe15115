// runlet-swarm-step: the first process (pid 1) of every container the Swarm platform runs.
// The engine starts it as root with only CAP_SETUID and CAP_SETGID; it
//   1. reads the plan and the files from the swarm configs under /run/runlet,
//   2. writes the files into /work as the step user (a child that has dropped to it),
//   3. runs each step as the step user with no groups, no capabilities, no_new_privs, its
//      rlimits, Runlet's seccomp filter (the native sandbox's) and a second filter that
//      refuses every socket but AF_UNIX: the task's container has a network interface
//      (Swarm has no "none" network), its programs cannot use it;
//   4. copies the step's output to its own stdout as ASCII lines (step_protocol.h),
//      enforcing the per-stream output limit, the wall and CPU time limits (the container's
//      cgroup, read every 5 ms) and the step's memory limit when it is below the
//      container's (the largest step's), and kills every process of the step user when
//      the step ends or breaks a limit;
//   5. reports each step's result and "D".
// Being pid 1 of the container's pid namespace, it reaps orphans and cannot be killed by
// the programs (which, running as another uid, could not signal or trace it anyway).
// Static, C library only: the same binary runs in every image.
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "platform/swarm/step_memory.h"
#include "platform/swarm/step_protocol.h"

namespace {

using runlet::platform::swarm::Plan;
using runlet::platform::swarm::PlanFile;
using runlet::platform::swarm::StepSpec;
namespace proto = runlet::platform::swarm;

const struct sock_filter kNativeFilter[] = {
#include "seccomp_program.inc"
};

// socket(domain != AF_UNIX) fails with EAFNOSUPPORT; everything else passes to the next
// filter (the native one, which kills calls of another architecture).
const struct sock_filter kSocketFilter[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EAFNOSUPPORT & SECCOMP_RET_DATA)),
};

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the engine is gone: nobody reads
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void Line(std::string_view line) {
  std::string out(line);
  out.push_back('\n');
  WriteAll(1, out);
}

[[noreturn]] void Fatal(const std::string& message) {
  std::string m = message;
  std::replace(m.begin(), m.end(), '\n', ' ');
  Line("X " + m);
  Line("D");
  ::_exit(1);
}

bool ReadFile(const std::string& path, std::string& out) {
  out.clear();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return true;
}

uint64_t ReadNumber(const std::string& path) {
  std::string text;
  if (!ReadFile(path, text)) return 0;
  return std::strtoull(text.c_str(), nullptr, 10);
}

// "key value" lines (cpu.stat, memory.events, memory.oom_control).
uint64_t ReadKey(const std::string& path, const std::string& key) {
  std::string text;
  if (!ReadFile(path, text)) return 0;
  for (size_t at = 0; at < text.size();) {
    const size_t end = std::min(text.find('\n', at), text.size());
    const std::string line = text.substr(at, end - at);
    if (line.compare(0, key.size() + 1, key + " ") == 0) return std::strtoull(line.c_str() + key.size() + 1, nullptr, 10);
    at = end + 1;
  }
  return 0;
}

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// The container's own cgroup, as the engine shows it at /sys/fs/cgroup.
class Cgroup {
 public:
  Cgroup() {
    v2_ = Exists("/sys/fs/cgroup/cgroup.controllers");
    if (!v2_) {
      for (const char* dir : {"/sys/fs/cgroup/cpuacct", "/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpuacct,cpu"}) {
        if (Exists(std::string(dir) + "/cpuacct.usage")) cpu_ = std::string(dir) + "/cpuacct.usage";
      }
    }
  }
  const char* version() const { return v2_ ? "v2" : "v1"; }
  uint64_t CpuNs() const {
    if (v2_) return ReadKey("/sys/fs/cgroup/cpu.stat", "usage_usec") * 1000;
    return cpu_.empty() ? 0 : ReadNumber(cpu_);
  }
  // What counts against a step's memory limit (step_memory.h). One read of memory.stat.
  proto::MemoryCount MemoryNow() const {
    std::string text;
    if (!ReadFile(v2_ ? "/sys/fs/cgroup/memory.stat" : "/sys/fs/cgroup/memory/memory.stat", text)) return {};
    return proto::CountMemory(text, v2_, v2_ ? ReadNumber("/sys/fs/cgroup/memory.swap.current") : 0);
  }
  // The largest use since the container started (0: unknown).
  uint64_t PeakSinceStart() const {
    if (v2_) return ReadNumber("/sys/fs/cgroup/memory.peak");
    return ReadNumber("/sys/fs/cgroup/memory/memory.max_usage_in_bytes");
  }
  uint64_t OomKills() const {
    if (v2_) return ReadKey("/sys/fs/cgroup/memory.events", "oom_kill");
    return ReadKey("/sys/fs/cgroup/memory/memory.oom_control", "oom_kill");
  }
  uint64_t MemoryHits() const {
    if (v2_) return ReadKey("/sys/fs/cgroup/memory.events", "max");
    return ReadNumber("/sys/fs/cgroup/memory/memory.failcnt");
  }

 private:
  bool v2_ = false;
  std::string cpu_;
};

uint64_t NowMs() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

uint64_t SelfCpuNs() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return (static_cast<uint64_t>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
          static_cast<uint64_t>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec)) *
         1000;
}

// The current step's main process: its status when it has been reaped (by whichever
// wait found it first).
struct MainChild {
  pid_t pid = 0;
  bool reaped = false;
  int status = 0;
  rusage usage{};
} g_main;

void ReapOrphans() {
  for (;;) {
    int status = 0;
    rusage ru{};
    const pid_t pid = ::wait4(-1, &status, WNOHANG, &ru);
    if (pid <= 0) return;
    if (pid == g_main.pid && !g_main.reaped) {
      g_main.reaped = true;
      g_main.status = status;
      g_main.usage = ru;
    }
  }
}

// SIGKILLs every process of `uid` in the container: with the effective uid switched to it,
// kill(-1) reaches exactly those (pid 1, the caller, is spared; the docker engine's
// processes are not in this pid namespace). Repeated until none is left.
void KillAll(uid_t uid) {
  if (::syscall(SYS_setresuid, -1, uid, -1) != 0) return;
  for (int round = 0; round < 1000; ++round) {
    if (::kill(-1, SIGKILL) < 0 && errno == ESRCH) break;
    ReapOrphans();
    ::usleep(1000);
  }
  ::syscall(SYS_setresuid, -1, 0, -1);
  ReapOrphans();
}

void SetLimit(int resource, uint64_t value) {
  rlimit rl{static_cast<rlim_t>(value), static_cast<rlim_t>(value)};
  ::setrlimit(resource, &rl);
}

// From root to the step user, for good (a child of the runner). Started as that user
// already (the Kubernetes platform's pods run as the job's uid with no capability at
// all), there is nothing to drop: the step keeps the runner's uid and gid.
bool DropToStepUser(uid_t uid) {
  const gid_t gid = uid;
  if (::geteuid() != 0) return ::getuid() == uid && ::geteuid() == uid && ::getgid() == gid && ::getegid() == gid;
  return ::syscall(SYS_setgroups, 0, nullptr) == 0 && ::syscall(SYS_setresgid, gid, gid, gid) == 0 &&
         ::syscall(SYS_setresuid, uid, uid, uid) == 0;
}

bool InstallFilters() {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return false;
  const sock_fprog native{static_cast<unsigned short>(sizeof kNativeFilter / sizeof kNativeFilter[0]),
                          const_cast<sock_filter*>(kNativeFilter)};
  const sock_fprog socket{static_cast<unsigned short>(sizeof kSocketFilter / sizeof kSocketFilter[0]),
                          const_cast<sock_filter*>(kSocketFilter)};
  return ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &native) == 0 &&
         ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &socket) == 0;
}

// Writes the files under /work as the step user (paths were checked by Runlet; "..",
// absolute and empty parts are refused here too, and nothing is followed).
// 0: done; 3: no room; 1: other failure (message on stderr).
int WriteFiles(const std::vector<PlanFile>& files) {
  const int work = ::open("/work", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (work < 0) return 1;
  for (const auto& f : files) {
    std::vector<std::string> parts;
    for (size_t at = 0; at <= f.path.size();) {
      const size_t slash = std::min(f.path.find('/', at), f.path.size());
      parts.push_back(f.path.substr(at, slash - at));
      at = slash + 1;
    }
    int dir = ::dup(work);
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      const std::string& p = parts[i];
      if (p.empty() || p == "." || p == "..") return 1;
      if (::mkdirat(dir, p.c_str(), 0755) < 0 && errno != EEXIST) return errno == ENOSPC || errno == EDQUOT ? 3 : 1;
      const int next = ::openat(dir, p.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      ::close(dir);
      if (next < 0) return 1;
      dir = next;
    }
    const std::string& name = parts.back();
    if (name.empty() || name == "." || name == "..") return 1;
    const int fd = ::openat(dir, name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                            f.executable ? 0755 : 0644);
    ::close(dir);
    if (fd < 0) return errno == ENOSPC || errno == EDQUOT ? 3 : 1;
    std::string_view rest = f.content;
    while (!rest.empty()) {
      const ssize_t n = ::write(fd, rest.data(), rest.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(fd);
        return errno == ENOSPC || errno == EDQUOT || errno == EFBIG ? 3 : 1;
      }
      rest.remove_prefix(static_cast<size_t>(n));
    }
    ::close(fd);
  }
  return 0;
}

struct StepOutcome {
  bool ok = false;  // exited 0 within every limit
};

const char* KillName(int kill) {
  static const char* const names[] = {"none", "wall", "cpu", "memory", "output"};
  return names[kill];
}

// How often the watcher reads the cgroup (CPU time, memory) while a step runs.
constexpr int kTickMs = 5;

StepOutcome RunStep(const Plan& plan, const StepSpec& step, const Cgroup& cgroup, bool first) {
  enum { kNone, kWall, kCpu, kMemory, kOutput };
  Line("S " + step.name);
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) < 0 || ::pipe2(err, O_CLOEXEC) < 0) Fatal("pipe: " + std::string(strerror(errno)));
  const uint64_t cpu0 = cgroup.CpuNs(), self0 = SelfCpuNs(), oom0 = cgroup.OomKills(), hits0 = cgroup.MemoryHits();
  // Files an earlier step left in /work and /tmp are not this step's memory (as in the
  // native sandbox, where they stay charged to that step's cgroup).
  const uint64_t shared0 = cgroup.MemoryNow().shared_bytes;
  const uint64_t start = NowMs();
  const pid_t pid = ::fork();
  if (pid < 0) Fatal("fork: " + std::string(strerror(errno)));
  g_main = MainChild{pid};
  if (pid == 0) {
    const int in = step.reads_stdin ? ::open(proto::kStdinPath, O_RDONLY) : ::open("/dev/null", O_RDONLY);
    if (in < 0 || ::dup2(in, 0) < 0 || ::dup2(out[1], 1) < 0 || ::dup2(err[1], 2) < 0) ::_exit(127);
    ::syscall(SYS_close_range, 3, ~0U, 0);
    ::setsid();
    if (!DropToStepUser(plan.uid)) {
      const char m[] = "runlet: cannot drop to the step user\n";
      (void)!::write(2, m, sizeof m - 1);
      ::_exit(127);
    }
    // RLIMIT_CPU backs up the cgroup's count: a little above the limit.
    const uint64_t cpu_s = step.cpu_ms / 1000 + 2;
    rlimit cpu{static_cast<rlim_t>(cpu_s), static_cast<rlim_t>(cpu_s + 1)};
    ::setrlimit(RLIMIT_CPU, &cpu);
    if (step.file_size_bytes) SetLimit(RLIMIT_FSIZE, step.file_size_bytes);
    if (step.open_files) SetLimit(RLIMIT_NOFILE, step.open_files);
    if (step.stack_bytes) SetLimit(RLIMIT_STACK, step.stack_bytes);
    SetLimit(RLIMIT_CORE, 0);
    // The step's own process limit: the container's pids limit is the largest step's, and
    // the job's uid is its own on the node, so the kernel's count per uid is the step's.
    if (step.pids) SetLimit(RLIMIT_NPROC, step.pids);
    if (::chdir("/work") != 0 || !InstallFilters()) {
      const char m[] = "runlet: cannot set up the step\n";
      (void)!::write(2, m, sizeof m - 1);
      ::_exit(127);
    }
    std::vector<char*> argv, envp;
    for (const auto& a : step.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (const auto& e : step.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    environ = envp.data();  // execvp searches the step's PATH
    ::execvp(argv[0], argv.data());
    const std::string m = "runlet: cannot execute " + step.argv[0] + ": " + strerror(errno) + "\n";
    (void)!::write(2, m.data(), m.size());
    ::_exit(errno == ENOENT ? 127 : 126);
  }
  ::close(out[1]);
  ::close(err[1]);

  int kill = kNone;
  bool exited = false, truncated[2] = {false, false};
  int wstatus = 0;
  rusage ru{};
  uint64_t seen[2] = {0, 0}, peak = 0, ended_at = 0;
  int fds[2] = {out[0], err[0]};
  uint64_t drain_until = 0;
  char buf[proto::kChunk];
  auto stop = [&](int why) {
    if (kill == kNone) kill = why;
    KillAll(plan.uid);
  };
  while (fds[0] >= 0 || fds[1] >= 0 || !exited) {
    pollfd p[2];
    int n = 0;
    int which[2];
    for (int s = 0; s < 2; ++s) {
      if (fds[s] >= 0) {
        p[n] = {fds[s], POLLIN, 0};
        which[n++] = s;
      }
    }
    const int r = ::poll(p, static_cast<nfds_t>(n), kTickMs);
    if (r < 0 && errno != EINTR) Fatal("poll: " + std::string(strerror(errno)));
    for (int i = 0; i < n && r > 0; ++i) {
      if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const int s = which[i];
      const ssize_t got = ::read(fds[s], buf, sizeof buf);
      if (got <= 0) {
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        ::close(fds[s]);
        fds[s] = -1;
        continue;
      }
      const uint64_t room = step.output_bytes > seen[s] ? step.output_bytes - seen[s] : 0;
      const size_t take = static_cast<size_t>(std::min<uint64_t>(room, static_cast<uint64_t>(got)));
      if (take > 0) {
        seen[s] += take;
        Line(std::string(s == 0 ? "O " : "E ") + proto::Base64Encode(std::string_view(buf, take)));
      }
      if (take < static_cast<size_t>(got)) {
        truncated[s] = true;
        stop(kOutput);
      }
    }
    const uint64_t now = NowMs();
    if (!exited) {
      ReapOrphans();
      if (g_main.reaped) {
        exited = true;
        wstatus = g_main.status;
        ru = g_main.usage;
        ended_at = now;
        KillAll(plan.uid);  // whatever the step left running
        drain_until = now + 2000;
      }
    }
    ReapOrphans();
    if (exited) {
      if (now >= drain_until) break;  // the writers are dead; what is left is lost
      continue;
    }
    if (kill != kNone) continue;
    const uint64_t cpu_now = cgroup.CpuNs();
    const uint64_t used = cpu_now - std::min(cpu_now, cpu0);
    const uint64_t self = SelfCpuNs() - self0;
    const auto memory = cgroup.MemoryNow();
    const uint64_t mem = proto::StepMemoryBytes(memory, shared0);
    peak = std::max(peak, mem);
    if (now - start >= step.wall_ms) {
      stop(kWall);
    } else if (used - std::min(used, self) >= step.cpu_ms * 1000000) {
      stop(kCpu);
    } else if (step.memory_bytes && mem > step.memory_bytes) {
      stop(kMemory);
    }
  }
  for (int s = 0; s < 2; ++s) {
    if (fds[s] >= 0) ::close(fds[s]);
  }
  const uint64_t cpu_end = cgroup.CpuNs();
  const uint64_t cpu = cpu_end - std::min(cpu_end, cpu0);
  const uint64_t self = SelfCpuNs() - self0;
  peak = std::max(peak, static_cast<uint64_t>(ru.ru_maxrss) * 1024);
  if (first) peak = std::max(peak, cgroup.PeakSinceStart());
  // Stopped at its own limit, below the container's: it reached the limit; what it took
  // in the last few milliseconds before the watcher saw it is not the program's to keep.
  if (kill == kMemory) peak = step.memory_bytes;
  std::string report = "R " + step.name;
  if (WIFEXITED(wstatus)) {
    report += " exit=" + std::to_string(WEXITSTATUS(wstatus));
  } else if (WIFSIGNALED(wstatus)) {
    report += " signal=" + std::to_string(WTERMSIG(wstatus));
  }
  report += " cpu_ms=" + std::to_string((cpu - std::min(cpu, self)) / 1000000);
  report += " wall_ms=" + std::to_string((ended_at ? ended_at : NowMs()) - start);
  report += " memory=" + std::to_string(peak);
  report += std::string(" kill=") + KillName(kill);
  const uint64_t oom = cgroup.OomKills(), hits = cgroup.MemoryHits();
  report += " oom=" + std::to_string(oom - std::min(oom, oom0));
  report += " hits=" + std::to_string(hits - std::min(hits, hits0));
  report += std::string(" cgroup=") + cgroup.version();
  report += std::string(" stdout_truncated=") + (truncated[0] ? "1" : "0");
  report += std::string(" stderr_truncated=") + (truncated[1] ? "1" : "0");
  Line(report);
  return {kill == kNone && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0};
}

}  // namespace

int main() {
  ::signal(SIGPIPE, SIG_IGN);
  std::string text, error;
  if (!ReadFile(proto::kPlanPath, text)) Fatal("read the plan: " + std::string(strerror(errno)));
  Plan plan;
  if (!proto::DecodePlan(text, plan, error)) Fatal(error);
  if (plan.uid == 0) Fatal("the plan asks for root");
  if (::geteuid() != 0) {
    // Non-root mode (Kubernetes): the steps share the runner's uid, so the runner makes
    // itself undumpable: a step can neither trace it nor open its /proc files (its log
    // pipe, its memory). As pid 1 of the pod's container it gets no signal it does not
    // handle, and KillAll's kill(-1) spares it.
    if (::getuid() != plan.uid) Fatal("the runner runs as uid " + std::to_string(::getuid()) + ", the plan's is " +
                                      std::to_string(plan.uid));
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) Fatal("prctl(PR_SET_DUMPABLE): " + std::string(strerror(errno)));
  }
  std::string archive;
  for (uint32_t i = 0; i < plan.file_parts; ++i) {
    std::string part;
    if (!ReadFile(proto::kFilesPrefix + std::to_string(i), part)) Fatal("read the files (part " + std::to_string(i) + ")");
    archive += part;
  }
  std::vector<PlanFile> files;
  if (!proto::DecodeFiles(archive, files, error)) Fatal(error);
  archive.clear();
  archive.shrink_to_fit();

  // The files, written by the step user (its own files; nothing of root's to follow).
  const pid_t writer = ::fork();
  if (writer < 0) Fatal("fork: " + std::string(strerror(errno)));
  if (writer == 0) {
    if (!DropToStepUser(plan.uid)) ::_exit(1);
    ::_exit(WriteFiles(files));
  }
  int status = 0;
  while (::waitpid(writer, &status, 0) < 0 && errno == EINTR) {
  }
  files.clear();
  if (!WIFEXITED(status) || WEXITSTATUS(status) == 1) Fatal("write the files into /work");
  if (WEXITSTATUS(status) == 3) {
    Line("F the files do not fit in the work directory");
    Line("D");
    return 0;
  }

  const Cgroup cgroup;
  bool first = true;
  for (const auto& step : plan.steps) {
    const StepOutcome outcome = RunStep(plan, step, cgroup, first);
    first = false;
    if (!outcome.ok) break;
  }
  Line("D");
  return 0;
}
