// Where the start-up time of one sandbox goes: each kernel operation that Sandbox::Run
// performs, timed on its own and untraced (tracing inflates short system calls many
// times over). Prints one markdown table; see docs/PERFORMANCE.md.
//
//   sandbox_phases [--runs 100] [--gap-ms 50] [--runlet PATH] [--hello PATH]
//
// Rows: process creation with each namespace the sandbox asks for; cgroup v1/v2
// directories, limits, attaching a process (and a cheaper way to attach it); the two
// tmpfs and the skeleton root; installing the seccomp filter; Sandbox::Create (paid by
// every `runlet exec`); and the CLI's own process start.
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "sandbox/cgroup.h"
#include "sandbox/features.h"
#include "sandbox/rootfs.h"
#include "sandbox/sandbox.h"
#include "sandbox/seccomp_filter.h"

namespace runlet::bench {
namespace {

struct Options {
  int runs = 100;
  int gap_ms = 50;  // idle time before each cgroup attach, as between real runs
  std::string runlet = RUNLET_BENCH_RUNLET;
  std::string hello = RUNLET_BENCH_HELLO;
};

struct Row {
  std::string phase, note;
  Stats stats;
  std::string error;
};

std::vector<Row> rows;

// Times `once` `runs` times; `once` returns the nanoseconds to count (it may leave out
// its own set-up), or a negative number on failure.
void Time(const std::string& phase, const std::string& note, int runs, const std::function<int64_t()>& once) {
  Row row{phase, note, {}, {}};
  std::vector<int64_t> samples;
  (void)once();  // warm-up
  for (int i = 0; i < runs; ++i) {
    int64_t ns = once();
    if (ns < 0) {
      row.error = std::strerror(static_cast<int>(-ns));
      break;
    }
    samples.push_back(ns);
  }
  row.stats = Summarize(samples);
  std::cerr << "  " << phase << ": " << (row.error.empty() ? FormatMs(row.stats.median_ms) + " ms" : row.error) << "\n";
  rows.push_back(row);
}

long Clone3(uint64_t flags) {
  struct clone_args args {};
  args.flags = flags;
  args.exit_signal = SIGCHLD;
  return ::syscall(SYS_clone3, &args, sizeof args);
}

// clone3 with `flags`, the child exits at once, the parent reaps it.
int64_t CloneExitWait(uint64_t flags) {
  const int64_t t0 = NowNs();
  long pid = Clone3(flags);
  if (pid < 0) return -errno;
  if (pid == 0) ::_exit(0);
  int status;
  ::waitpid(static_cast<pid_t>(pid), &status, 0);
  return NowNs() - t0;
}

// A child blocked on a pipe until released; killed and reaped by Finish.
struct Parked {
  pid_t pid = -1;
  int go = -1, done = -1;
  void Finish() {
    if (go >= 0) ::close(go);
    if (done >= 0) ::close(done);
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      int status;
      ::waitpid(pid, &status, 0);
    }
  }
};

// The child optionally writes "0" (itself) into each fd of `self_attach` once released.
Parked Park(uint64_t flags, const std::vector<int>& self_attach) {
  Parked p;
  int go[2], done[2];
  if (::pipe2(go, O_CLOEXEC) < 0 || ::pipe2(done, O_CLOEXEC) < 0) return p;
  long pid = Clone3(flags);
  if (pid == 0) {
    char c;
    if (::read(go[0], &c, 1) != 1) ::_exit(1);
    // Reports how long its own writes took, or -1.
    const int64_t t0 = NowNs();
    bool ok = true;
    for (int fd : self_attach) ok &= ::write(fd, "0", 1) == 1;
    const int64_t took = ok ? NowNs() - t0 : -1;
    if (::write(done[1], &took, sizeof took) != sizeof took) ::_exit(1);
    ::pause();
    ::_exit(0);
  }
  ::close(go[0]);
  ::close(done[1]);
  p.pid = static_cast<pid_t>(pid);
  p.go = go[1];
  p.done = done[0];
  return p;
}

void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

int Main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--runs") {
      opt.runs = std::max(1, std::atoi(argv[i + 1]));
    } else if (flag == "--gap-ms") {
      opt.gap_ms = std::max(0, std::atoi(argv[i + 1]));
    } else if (flag == "--runlet") {
      opt.runlet = argv[i + 1];
    } else if (flag == "--hello") {
      opt.hello = argv[i + 1];
    } else {
      std::cerr << "usage: sandbox_phases [--runs N] [--gap-ms MS] [--runlet PATH] [--hello PATH]\n";
      return 2;
    }
  }
  if (::geteuid() != 0) {
    std::cerr << "sandbox_phases: run as root\n";
    return 2;
  }
  const int n = opt.runs;
  std::cerr << "sandbox_phases: " << n << " runs per row\n";

  // 1. Processes and namespaces: what clone3 + exit + wait costs with each flag.
  const uint64_t all = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;
  Time("fork + exit + wait", "clone3 without flags: the floor", n, [] { return CloneExitWait(0); });
  Time("+ CLONE_NEWUSER", "", n, [] { return CloneExitWait(CLONE_NEWUSER); });
  Time("+ CLONE_NEWNS", "copies the host's mount table", n, [] { return CloneExitWait(CLONE_NEWNS); });
  Time("+ CLONE_NEWPID", "", n, [] { return CloneExitWait(CLONE_NEWPID); });
  Time("+ CLONE_NEWNET", "teardown continues in a kernel worker", n, [] { return CloneExitWait(CLONE_NEWNET); });
  Time("+ CLONE_NEWIPC", "", n, [] { return CloneExitWait(CLONE_NEWIPC); });
  Time("+ CLONE_NEWUTS", "", n, [] { return CloneExitWait(CLONE_NEWUTS); });
  Time("+ CLONE_NEWCGROUP", "the sandbox's init unshares it", n, [] { return CloneExitWait(CLONE_NEWCGROUP); });
  Time("all six of Sandbox::Run", "USER NS PID NET IPC UTS", n, [&] { return CloneExitWait(all); });
  Time("the same without NET", "", n, [&] { return CloneExitWait(all & ~static_cast<uint64_t>(CLONE_NEWNET)); });

  // uid_map and gid_map of a fresh user namespace.
  Time("write uid_map + gid_map", "", n, [] {
    Parked p = Park(CLONE_NEWUSER, {});
    if (p.pid < 0) return -static_cast<int64_t>(errno);
    const std::string map = "1000 300999 1\n";
    const int64_t t0 = NowNs();
    for (const char* file : {"uid_map", "gid_map"}) {
      std::string path = "/proc/" + std::to_string(p.pid) + "/" + file;
      int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0 || ::write(fd, map.data(), map.size()) < 0) {
        int e = errno;
        if (fd >= 0) ::close(fd);
        p.Finish();
        return -static_cast<int64_t>(e);
      }
      ::close(fd);
    }
    const int64_t t = NowNs() - t0;
    p.Finish();
    return t;
  });

  // 2. Cgroups, through the sandbox's own manager.
  auto features = sandbox::DetectFeatures();
  std::string cgroup_mode = "none";
  if (features) {
    cgroup_mode = std::string(sandbox::CgroupModeName(features->cgroup));
    auto manager = sandbox::MakeCgroupManager(*features, "runlet-bench-phases");
    if (manager) {
      Limits limits;
      Time("cgroup: create", "mkdir in each hierarchy (v1: 5)", n, [&] {
        const int64_t t0 = NowNs();
        auto cg = (*manager)->Create("create");
        if (!cg) return -static_cast<int64_t>(EIO);
        const int64_t t = NowNs() - t0;
        return t;
      });
      Time("cgroup: set limits", "memory, swap, pids, CPU quota", n, [&] {
        auto cg = (*manager)->Create("limits");
        if (!cg) return -static_cast<int64_t>(EIO);
        const int64_t t0 = NowNs();
        if (!(*cg)->Apply(limits)) return -static_cast<int64_t>(EIO);
        return NowNs() - t0;
      });
      Time("cgroup: read usage + kill + remove", "after the run: usage, KillAll, rmdir", n, [&] {
        auto cg = (*manager)->Create("remove");
        if (!cg) return -static_cast<int64_t>(EIO);
        const int64_t t0 = NowNs();
        (void)(*cg)->ReadUsage();
        (*cg)->KillAll();
        cg->reset();
        return NowNs() - t0;
      });
      if (features->cgroup == sandbox::CgroupMode::kV1) {
        auto cg = (*manager)->Create("attach");
        const std::string gap = std::to_string(opt.gap_ms) + " ms idle before each";
        if (cg) {
          Time("cgroup v1: attach, supervisor writes the pid", "cgroup.procs in 5 hierarchies; " + gap, n,
               [&] {
                 SleepMs(opt.gap_ms);
                 Parked p = Park(0, {});
                 const int64_t t0 = NowNs();
                 bool ok = static_cast<bool>((*cg)->AddProcess(p.pid));
                 const int64_t t = NowNs() - t0;
                 p.Finish();
                 return ok ? t : -static_cast<int64_t>(EIO);
               });
          Time("cgroup v1: attach to a new cgroup", "as Sandbox::Run: mkdir, then attach (timed); " + gap, n,
               [&] {
                 SleepMs(opt.gap_ms);
                 auto fresh = (*manager)->Create("fresh");
                 if (!fresh) return -static_cast<int64_t>(EIO);
                 Parked p = Park(0, {});
                 const int64_t t0 = NowNs();
                 bool ok = static_cast<bool>((*fresh)->AddProcess(p.pid));
                 const int64_t t = NowNs() - t0;
                 p.Finish();
                 return ok ? t : -static_cast<int64_t>(EIO);
               });
          Time("cgroup v1: attach a namespaced child", "cloned with the six namespaces; " + gap, n,
               [&] {
                 SleepMs(opt.gap_ms);
                 Parked p = Park(all, {});
                 const int64_t t0 = NowNs();
                 bool ok = static_cast<bool>((*cg)->AddProcess(p.pid));
                 const int64_t t = NowNs() - t0;
                 p.Finish();
                 return ok ? t : -static_cast<int64_t>(EIO);
               });
          Time("cgroup v1: attach, back to back", "the same with no idle time", n, [&] {
            Parked p = Park(0, {});
            const int64_t t0 = NowNs();
            bool ok = static_cast<bool>((*cg)->AddProcess(p.pid));
            const int64_t t = NowNs() - t0;
            p.Finish();
            return ok ? t : -static_cast<int64_t>(EIO);
          });
          // The alternative: the child writes "0" into each hierarchy's `tasks` file,
          // through fds the supervisor opened (v1 checks the opener's credentials). Moving
          // only the calling thread does not take the global threadgroup lock, so no RCU
          // grace period is waited for.
          std::vector<std::string> tasks;
          for (const char* c : {"memory", "pids", "cpu", "cpuacct", "freezer"}) {
            auto it = features->v1_mounts.find(c);
            if (it == features->v1_mounts.end()) continue;
            std::string path = it->second + "/runlet-bench-phases/attach/tasks";
            bool seen = false;
            for (const auto& t : tasks) seen |= t == path;
            if (!seen) tasks.push_back(path);
          }
          Time("cgroup v1: attach, the child writes \"0\" to tasks", "namespaced child, fds opened by the supervisor; " + gap, n,
               [&] {
                 SleepMs(opt.gap_ms);
                 std::vector<int> fds;
                 for (const auto& t : tasks) fds.push_back(::open(t.c_str(), O_WRONLY | O_CLOEXEC));
                 Parked p = Park(all, fds);  // as the sandbox's init: in its new namespaces
                 int64_t took = -1;
                 bool ran = ::write(p.go, "g", 1) == 1 && ::read(p.done, &took, sizeof took) == sizeof took;
                 p.Finish();
                 for (int fd : fds) ::close(fd);
                 return ran && took >= 0 ? took : -static_cast<int64_t>(EIO);
               });
        }
      }
    } else {
      std::cerr << "  cgroups: " << manager.error().message << "\n";
    }
  }

  // 3. File systems, host side: the skeleton root and the work tmpfs, as detached mounts.
  char tmpl[] = "/tmp/runlet-phases-XXXXXX";
  std::string payload_dir;
  if (::mkdtemp(tmpl)) {
    payload_dir = tmpl;
    std::string copy = "cp " + opt.hello + " " + payload_dir + "/hello";
    if (std::system(copy.c_str()) != 0) payload_dir.clear();
  }
  auto prepare = [&](std::string rootfs, std::string files_dir) {
    return [rootfs, files_dir] {
      sandbox::RootfsSpec spec;
      spec.rootfs = rootfs;
      spec.sandbox_uid = 1000;
      spec.host_uid = 300999;
      spec.disk_bytes = 64ull << 20;
      spec.disk_inodes = 16384;
      const int64_t t0 = NowNs();
      auto layout = sandbox::PlanRootfs(spec);
      if (!layout) return -static_cast<int64_t>(EIO);
      auto r = sandbox::BuildRootfs(spec, *layout);
      if (!r) return -static_cast<int64_t>(EIO);
      if (!files_dir.empty() && !sandbox::PopulateWork(r->work.get(), files_dir, {}, spec.host_uid))
        return -static_cast<int64_t>(EIO);
      const int64_t t = NowNs() - t0;
      return t;
    };
  };
  Time("rootfs: host view, empty /work", "2 tmpfs (fsopen/fsmount), skeleton, 8 top-level entries", n,
       prepare("/", ""));
  if (!payload_dir.empty()) {
    Time("rootfs: host view + copy hello to /work", "the same plus one 0.7 MB file", n, prepare("/", payload_dir));
    Time("rootfs: custom root holding only hello", "--rootfs DIR", n, prepare(payload_dir, ""));
  }

  // 4. Seccomp: compiling the filter (once per Sandbox) and installing it (every run).
  Time("seccomp: compile the filter", "libseccomp; done at build time now (runlet_seccomp_gen)", n, [] {
    const int64_t t0 = NowNs();
    auto p = sandbox::BuildSeccompProgram();
    return p ? NowNs() - t0 : -static_cast<int64_t>(EIO);
  });
  auto program = sandbox::BuildSeccompProgram();
  if (program) {
    const struct sock_fprog fprog = program->Fprog();
    Time("seccomp: fork + install + exit", "compare with fork + exit above", n, [&] {
      const int64_t t0 = NowNs();
      pid_t pid = ::fork();
      if (pid == 0) {
        ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        ::_exit(::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) == 0 ? 0 : 1);
      }
      int status;
      ::waitpid(pid, &status, 0);
      return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? NowNs() - t0 : -static_cast<int64_t>(EPERM);
    });
  }

  // 5. What `runlet exec` pays before its sandbox starts.
  sandbox::SandboxOptions so;
  so.state_dir = "/run/runlet-bench";
  so.cgroup_parent = "runlet-bench";
  so.uid_base = 300000;
  Time("Sandbox::Create", "features, cgroup parents, seccomp, crash recovery", std::min(n, 50), [&] {
    const int64_t t0 = NowNs();
    auto box = sandbox::Sandbox::Create(so);
    return box ? NowNs() - t0 : -static_cast<int64_t>(EIO);
  });
  Time("exec of the static hello", "fork + execve + wait", n, [&] {
    auto r = RunCommand({opt.hello});
    return CheckOutput(r, "hello") == "ok" ? r.elapsed_ns : -static_cast<int64_t>(EIO);
  });
  Time("exec of `runlet --version`", "the small binary that runs exec (a static PIE in release)", n, [&] {
    auto r = RunCommand({opt.runlet, "--version"});
    return r.started && WIFEXITED(r.wait_status) ? r.elapsed_ns : -static_cast<int64_t>(EIO);
  });
  Time("exec of `runlet --help`", "handed to runlet-full: every verb's libraries, CLI11", n, [&] {
    auto r = RunCommand({opt.runlet, "--help"});
    return r.started && WIFEXITED(r.wait_status) ? r.elapsed_ns : -static_cast<int64_t>(EIO);
  });
  if (!payload_dir.empty()) {
    std::string rm = "rm -rf " + payload_dir;
    (void)std::system(rm.c_str());
  }

  std::ostringstream out;
  out << "### Phases of a sandbox start, timed one by one\n\n";
  out << "Linux " << KernelRelease() << ", " << OnlineCpus() << " CPUs, cgroup " << cgroup_mode << "; " << n
      << " runs per row (Sandbox::Create: " << std::min(n, 50) << ").\n\n";
  out << "| phase | median ms | p99 ms | notes |\n|---|---:|---:|---|\n";
  for (const auto& r : rows) {
    if (!r.error.empty()) {
      out << "| " << r.phase << " | – | – | failed: " << r.error << " |\n";
    } else {
      out << "| " << r.phase << " | " << FormatMs(r.stats.median_ms) << " | " << FormatMs(r.stats.p99_ms)
          << " | " << r.note << " |\n";
    }
  }
  std::cout << out.str() << std::flush;
  return 0;
}

}  // namespace
}  // namespace runlet::bench

int main(int argc, char** argv) { return runlet::bench::Main(argc, argv); }
