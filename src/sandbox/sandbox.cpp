#include "sandbox/sandbox.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>

#include "core/unique_fd.h"
#include "core/units.h"
#include "sandbox/cgroup.h"
#include "sandbox/child.h"
#include "sandbox/seccomp_filter.h"
#include "sandbox/slots.h"
#include "sandbox/syscalls.h"

namespace runlet::sandbox {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr uid_t kSandboxUid = 1000;  // the program's uid inside its namespace
constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

struct Pipe {
  UniqueFd read, write;
};

Result<Pipe> MakePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) return FailErrno("pipe2");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void SetNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

Status WriteProcFile(pid_t pid, const char* name, const std::string& text) {
  const std::string path = "/proc/" + std::to_string(pid) + "/" + name;
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return FailErrno("open " + path);
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return FailErrno("write " + path);
  }
  return {};
}

// The C views of a spec that the child reads: built before clone, alive until it ends.
struct ChildStrings {
  std::vector<std::string> argv_storage, env_storage, candidates;
  std::vector<char*> argv, envp;
  std::vector<const char*> candidate_ptrs, bind_sources, bind_targets, masks;
  std::vector<ChildRlimit> rlimits;
};

std::vector<std::string> BuildEnv(const std::vector<std::string>& extra) {
  std::vector<std::string> env = {std::string("PATH=") + kDefaultPath, "HOME=/tmp", "LANG=C.UTF-8",
                                  "TMPDIR=/tmp"};
  for (const auto& kv : extra) {
    const auto key = kv.substr(0, kv.find('=') + 1);
    auto it = std::find_if(env.begin(), env.end(), [&](const std::string& e) { return e.rfind(key, 0) == 0; });
    if (it != env.end()) {
      *it = kv;
    } else {
      env.push_back(kv);
    }
  }
  return env;
}

std::vector<std::string> ExecCandidates(const std::string& program, const std::vector<std::string>& env) {
  if (program.find('/') != std::string::npos) return {program};
  std::string path = kDefaultPath;
  for (const auto& kv : env) {
    if (kv.rfind("PATH=", 0) == 0) path = kv.substr(5);
  }
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (dir.empty()) dir = ".";
    out.push_back(dir + "/" + program);
    start = end + 1;
  }
  return out;
}

std::vector<ChildRlimit> BuildRlimits(const Limits& l) {
  auto limit = [](int resource, uint64_t value) {
    return ChildRlimit{resource, {static_cast<rlim_t>(value), static_cast<rlim_t>(value)}};
  };
  // RLIMIT_CPU is a backstop per process: the supervisor enforces the tree's total first.
  const uint64_t cpu_seconds = static_cast<uint64_t>(std::ceil(l.cpu_time.count() / 1000.0)) + 1;
  return {
      limit(RLIMIT_CPU, cpu_seconds),
      limit(RLIMIT_NOFILE, l.open_files),
      limit(RLIMIT_FSIZE, l.file_size_bytes ? l.file_size_bytes : l.disk_bytes),
      limit(RLIMIT_STACK, l.stack_bytes),
      limit(RLIMIT_CORE, 0),
      limit(RLIMIT_NPROC, l.pids + 8),
      limit(RLIMIT_MSGQUEUE, 0),
  };
}

std::string FormatMs(milliseconds d) { return std::to_string(d.count()) + " ms"; }

}  // namespace

struct Sandbox::Impl {
  SandboxOptions options;
  Features features;
  std::unique_ptr<CgroupManager> cgroups;
  SlotAllocator slots{"", 0, 0};
  SeccompProgram seccomp;
  std::string stage_dir;
  unsigned online_cpus = 1;

  RunResult Execute(const RunSpec& spec, const OutputFn& on_output, Slot& slot);
};

Sandbox::Sandbox(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Sandbox::~Sandbox() = default;
const Features& Sandbox::features() const { return impl_->features; }

Result<std::unique_ptr<Sandbox>> Sandbox::Create(const SandboxOptions& options) {
  if (::geteuid() != 0) {
    return Fail("the native sandbox must be started as root (it creates namespaces, cgroups and "
                "mounts, then drops to an unprivileged uid for the program)");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  auto features = DetectFeatures(options.cgroup_mode);
  if (!features) return tl::unexpected(features.error().Wrap("sandbox"));
  impl->features = std::move(*features);
  auto cgroups = MakeCgroupManager(impl->features, options.cgroup_parent);
  if (!cgroups) return tl::unexpected(cgroups.error().Wrap("sandbox"));
  impl->cgroups = std::move(*cgroups);
  auto seccomp = BuildSeccompProgram();
  if (!seccomp) return tl::unexpected(seccomp.error().Wrap("sandbox"));
  impl->seccomp = std::move(*seccomp);

  if (::mkdir(options.state_dir.c_str(), 0755) < 0 && errno != EEXIST)
    return FailErrno("sandbox: mkdir " + options.state_dir);
  impl->stage_dir = options.state_dir + "/root";
  if (::mkdir(impl->stage_dir.c_str(), 0755) < 0 && errno != EEXIST)
    return FailErrno("sandbox: mkdir " + impl->stage_dir);
  impl->slots = SlotAllocator(options.state_dir + "/slots", options.uid_base, options.slots);
  if (auto s = impl->slots.Init(); !s) return tl::unexpected(s.error().Wrap("sandbox"));

  // Crash recovery: a cgroup whose slot nobody holds was left by a runlet that died;
  // its processes are killed and the cgroup removed.
  for (const auto& name : impl->cgroups->List()) {
    int index = -1;
    if (std::sscanf(name.c_str(), "slot-%d", &index) != 1 || index < 0) continue;
    if (auto slot = impl->slots.TryAcquire(index)) {
      (void)impl->cgroups->Create(name);  // removes the leftover; the new one dies at once
    }
  }

  // Nobody may read this process's memory or attach to it: it holds other runs' data.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  // Writes to a pipe whose reader is gone must fail with EPIPE, not kill the supervisor.
  ::signal(SIGPIPE, SIG_IGN);
  impl->online_cpus = std::max(1u, std::thread::hardware_concurrency());
  return std::unique_ptr<Sandbox>(new Sandbox(std::move(impl)));
}

Result<RunResult> Sandbox::Run(const RunSpec& spec, const OutputFn& on_output) {
  if (spec.argv.empty() || spec.argv[0].empty()) return Fail("no command given");
  if (auto s = ValidateLimits(spec.limits); !s) return tl::unexpected(s.error());
  for (const auto& kv : spec.env) {
    if (kv.find('=') == std::string::npos || kv.front() == '=')
      return Fail("environment entry \"" + kv + "\" is not KEY=VALUE");
    if (kv.find('\0') != std::string::npos) return Fail("environment entries may not contain NUL");
  }
  for (const auto& arg : spec.argv) {
    if (arg.find('\0') != std::string::npos) return Fail("arguments may not contain NUL");
  }
  if (spec.rootfs != "/") {
    struct stat st {};
    if (::stat(spec.rootfs.c_str(), &st) < 0 || !S_ISDIR(st.st_mode))
      return Fail("rootfs " + spec.rootfs + " is not a directory");
  }
  if (!spec.files_dir.empty()) {
    struct stat st {};
    if (::stat(spec.files_dir.c_str(), &st) < 0 || !S_ISDIR(st.st_mode))
      return Fail("files " + spec.files_dir + " is not a directory");
  }
  for (const auto& file : spec.files) {
    if (auto why = CheckRelativePath(file.path); !why.empty())
      return Fail("file \"" + file.path + "\": " + why);
  }
  auto slot = impl_->slots.Acquire();
  if (!slot) {
    RunResult result;
    result.status = RunStatus::kInternalError;
    result.message = slot.error().message;
    return result;
  }
  return impl_->Execute(spec, on_output, *slot);
}

RunResult Sandbox::Impl::Execute(const RunSpec& spec, const OutputFn& on_output, Slot& slot) {
  RunResult result;
  result.cgroup_version = std::string(CgroupModeName(features.cgroup));
  auto internal = [&](const Error& e) {
    result.status = RunStatus::kInternalError;
    result.message = e.message;
    return result;
  };
  const Limits& limits = spec.limits;

  // 1. Cgroup with limits.
  auto cgroup = cgroups->Create("slot-" + std::to_string(slot.index));
  if (!cgroup) return internal(cgroup.error());
  if (auto s = (*cgroup)->Apply(limits); !s) return internal(s.error().Wrap("set cgroup limits"));

  // 2. File systems.
  RootfsSpec rootfs_spec;
  rootfs_spec.rootfs = spec.rootfs;
  rootfs_spec.files_dir = spec.files_dir;
  rootfs_spec.files = spec.files;
  rootfs_spec.sandbox_uid = kSandboxUid;
  rootfs_spec.host_uid = slot.host_uid;
  rootfs_spec.disk_bytes = limits.disk_bytes;
  rootfs_spec.disk_inodes = limits.disk_inodes;
  auto rootfs = PrepareRootfs(rootfs_spec);
  if (!rootfs) {
    if (rootfs.error().sys_errno == ENOSPC) {
      result.status = RunStatus::kRuntimeError;
      result.message = rootfs.error().message;
      return result;
    }
    return internal(rootfs.error().Wrap("prepare file systems"));
  }

  // 3. Pipes.
  auto sync = MakePipe(), error = MakePipe(), report = MakePipe(), in = MakePipe(),
       out = MakePipe(), err = MakePipe();
  for (auto* p : {&sync, &error, &report, &in, &out, &err}) {
    if (!*p) return internal(p->error());
  }

  // 4. Everything the child reads, as C data.
  ChildStrings s;
  s.argv_storage = spec.argv;
  s.env_storage = BuildEnv(spec.env);
  s.candidates = ExecCandidates(spec.argv[0], s.env_storage);
  for (auto& a : s.argv_storage) s.argv.push_back(a.data());
  s.argv.push_back(nullptr);
  for (auto& e : s.env_storage) s.envp.push_back(e.data());
  s.envp.push_back(nullptr);
  for (auto& c : s.candidates) s.candidate_ptrs.push_back(c.c_str());
  for (auto& b : rootfs->bind_sources) s.bind_sources.push_back(b.c_str());
  for (auto& b : rootfs->bind_targets) s.bind_targets.push_back(b.c_str());
  for (auto& m : rootfs->masks) s.masks.push_back(m.c_str());
  s.rlimits = BuildRlimits(limits);
  const struct sock_fprog fprog = seccomp.Fprog();
  const int supervisor_fds[] = {sync->write.get(), error->read.get(), report->read.get(),
                                in->write.get(), out->read.get(), err->read.get()};

  ChildPlan plan{};
  plan.sync_fd = sync->read.get();
  plan.error_fd = error->write.get();
  plan.report_fd = report->write.get();
  plan.stdin_fd = in->read.get();
  plan.stdout_fd = out->write.get();
  plan.stderr_fd = err->write.get();
  plan.supervisor_fds = supervisor_fds;
  plan.supervisor_fd_count = std::size(supervisor_fds);
  plan.skeleton_fd = rootfs->skeleton.get();
  plan.disk_fd = rootfs->disk.get();
  plan.stage_dir = stage_dir.c_str();
  plan.bind_sources = s.bind_sources.data();
  plan.bind_targets = s.bind_targets.data();
  plan.bind_count = s.bind_sources.size();
  plan.masks = s.masks.data();
  plan.mask_count = s.masks.size();
  plan.use_mount_setattr = features.mount_setattr;
  plan.uid = kSandboxUid;
  plan.gid = kSandboxUid;
  plan.rlimits = s.rlimits.data();
  plan.rlimit_count = s.rlimits.size();
  plan.seccomp = &fprog;
  plan.exec_candidates = s.candidate_ptrs.data();
  plan.exec_candidate_count = s.candidate_ptrs.size();
  plan.argv = s.argv.data();
  plan.envp = s.envp.data();
  plan.workdir = spec.workdir.c_str();

  // 5. Clone into all the new namespaces at once (and, on v2, into the cgroup).
  int pidfd_raw = -1;
  struct clone_args args {};
  args.flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC |
               CLONE_NEWUTS | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uintptr_t>(&pidfd_raw);
  args.exit_signal = SIGCHLD;
  if ((*cgroup)->CloneIntoFd() >= 0 && features.clone_into_cgroup) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>((*cgroup)->CloneIntoFd());
  }
  const long cloned = sys::Clone3(&args);
  if (cloned < 0) return internal(Error{std::string("clone3: ") + std::strerror(errno), errno});
  if (cloned == 0) RunSandboxInit(plan);
  const pid_t init_pid = static_cast<pid_t>(cloned);
  UniqueFd pidfd(pidfd_raw);

  // The child's copies are its own now.
  sync->read.Reset();
  error->write.Reset();
  report->write.Reset();
  in->read.Reset();
  out->write.Reset();
  err->write.Reset();
  rootfs->skeleton.Reset();
  rootfs->disk.Reset();

  auto abort_child = [&](const Error& e) {
    sys::PidfdSendSignal(pidfd.get(), SIGKILL);
    int ignored;
    ::waitpid(init_pid, &ignored, 0);
    return internal(e);
  };

  // 6. Identity maps: only the sandbox user, never host root.
  const std::string map = std::to_string(kSandboxUid) + " " + std::to_string(slot.host_uid) + " 1\n";
  if (auto st = WriteProcFile(init_pid, "uid_map", map); !st) return abort_child(st.error());
  if (auto st = WriteProcFile(init_pid, "gid_map", map); !st) return abort_child(st.error());
  if (!(args.flags & CLONE_INTO_CGROUP)) {
    if (auto st = (*cgroup)->AddProcess(init_pid); !st) return abort_child(st.error());
  }

  // 7. Release the child and supervise.
  const auto start = Clock::now();
  if (::write(sync->write.get(), "g", 1) != 1) return abort_child(Error{"release sandbox", errno});
  sync->write.Reset();

  SetNonBlocking(out->read.get());
  SetNonBlocking(err->read.get());
  SetNonBlocking(in->write.get());
  SetNonBlocking(report->read.get());

  enum class Kill { kNone, kWall, kCpu, kOutput, kCancel };
  Kill kill = Kill::kNone;
  bool killed = false;
  auto kill_all = [&](Kill why) {
    if (kill == Kill::kNone) kill = why;
    if (!killed) {
      sys::PidfdSendSignal(pidfd.get(), SIGKILL);  // pid 1 dies: the namespace dies
      killed = true;
    }
  };

  std::string stdin_buffer = spec.stdin_data;
  size_t stdin_offset = 0;
  bool stdin_source_open = spec.stdin_fd >= 0;
  if (!stdin_source_open && stdin_buffer.empty()) in->write.Reset();

  std::optional<ChildError> child_error;
  std::optional<InitReport> init_report;
  bool error_open = true, report_open = true, init_exited = false;
  bool out_open = true, err_open = true;
  uint64_t out_bytes = 0, err_bytes = 0;
  auto end_time = start;

  const auto wall_deadline = start + limits.wall_time;
  auto next_cpu_check = start;
  const double cpu_rate = std::min(limits.cpus, static_cast<double>(online_cpus));
  std::string chunk(64 * 1024, '\0');

  auto consume = [&](int fd, Stream stream, uint64_t& bytes, bool& open, std::string& keep,
                     bool& truncated) {
    for (;;) {
      ssize_t n = ::read(fd, chunk.data(), chunk.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (n == 0 || errno != EAGAIN) open = false;
        return;
      }
      size_t take = static_cast<size_t>(n);
      if (bytes + take > limits.output_bytes) {
        take = static_cast<size_t>(limits.output_bytes - std::min(bytes, limits.output_bytes));
        truncated = true;
        kill_all(Kill::kOutput);
      }
      bytes += static_cast<size_t>(n);
      if (take > 0) {
        keep.append(chunk.data(), take);
        if (on_output) on_output(stream, std::string_view(chunk.data(), take));
      }
      if (static_cast<size_t>(n) < chunk.size()) return;
    }
  };

  // Runs until the program has ended and every stream is drained.
  for (;;) {
    const bool program_done = init_exited || init_report.has_value();
    if (program_done && !out_open && !err_open && !error_open) break;
    // Every writer is dead once init is; a stream still open after that is a kernel
    // oddity, not a reason to hang.
    if (init_exited && Clock::now() - end_time > std::chrono::seconds(2)) break;

    struct pollfd fds[7];
    int nfds = 0;
    int i_out = -1, i_err = -1, i_in = -1, i_error = -1, i_report = -1, i_pid = -1, i_cancel = -1,
        i_stdin_src = -1;
    auto add = [&](int fd, short events) {
      fds[nfds] = {fd, events, 0};
      return nfds++;
    };
    if (out_open) i_out = add(out->read.get(), POLLIN);
    if (err_open) i_err = add(err->read.get(), POLLIN);
    if (error_open) i_error = add(error->read.get(), POLLIN);
    if (report_open) i_report = add(report->read.get(), POLLIN);
    if (!init_exited) i_pid = add(pidfd.get(), POLLIN);
    if (in->write && stdin_offset < stdin_buffer.size()) {
      i_in = add(in->write.get(), POLLOUT);
    } else if (in->write && stdin_source_open) {
      i_stdin_src = add(spec.stdin_fd, POLLIN);
    }
    if (spec.cancel_fd >= 0 && !killed && !program_done) i_cancel = add(spec.cancel_fd, POLLIN);

    // Sleep until output, the program's end, the wall deadline or the moment the CPU
    // budget could at the earliest be spent.
    auto now = Clock::now();
    auto wake = program_done || killed ? now + milliseconds(50) : std::min(wall_deadline, next_cpu_check);
    int timeout = static_cast<int>(std::max<int64_t>(
        0, std::chrono::duration_cast<milliseconds>(wake - now + std::chrono::microseconds(999)).count()));
    if (program_done && killed) timeout = 1000;  // only draining now
    int ready = ::poll(fds, static_cast<nfds_t>(nfds), timeout);
    if (ready < 0 && errno != EINTR) return abort_child(Error{"poll", errno});
    now = Clock::now();

    if (i_out >= 0 && fds[i_out].revents) consume(out->read.get(), Stream::kStdout, out_bytes, out_open, result.stdout_data, result.stdout_truncated);
    if (i_err >= 0 && fds[i_err].revents) consume(err->read.get(), Stream::kStderr, err_bytes, err_open, result.stderr_data, result.stderr_truncated);
    if (i_error >= 0 && fds[i_error].revents) {
      ChildError e{};
      ssize_t n = ::read(error->read.get(), &e, sizeof e);
      if (n == sizeof e) child_error = e;
      if (n <= 0 || n == sizeof e) error_open = n < 0 && errno == EAGAIN;
    }
    if (i_report >= 0 && fds[i_report].revents) {
      InitReport r{};
      ssize_t n = ::read(report->read.get(), &r, sizeof r);
      if (n == sizeof r) {
        init_report = r;
        end_time = now;
      }
      if (n >= 0 || errno != EAGAIN) report_open = false;
    }
    if (i_pid >= 0 && fds[i_pid].revents) {
      int status = 0;
      ::waitpid(init_pid, &status, 0);
      init_exited = true;
      if (!init_report) end_time = now;
      // Init has gone: the kernel is killing the rest of the namespace; make sure.
      (*cgroup)->KillAll();
      killed = true;
    }
    if (i_in >= 0 && fds[i_in].revents) {
      ssize_t n = ::write(in->write.get(), stdin_buffer.data() + stdin_offset, stdin_buffer.size() - stdin_offset);
      if (n > 0) stdin_offset += static_cast<size_t>(n);
      if (n < 0 && errno != EAGAIN) in->write.Reset();  // the program closed its stdin
      if (in->write && stdin_offset == stdin_buffer.size()) {
        stdin_buffer.clear();
        stdin_offset = 0;
        if (!stdin_source_open) in->write.Reset();
      }
    }
    if (i_stdin_src >= 0 && fds[i_stdin_src].revents) {
      stdin_buffer.resize(64 * 1024);
      ssize_t n = ::read(spec.stdin_fd, stdin_buffer.data(), stdin_buffer.size());
      if (n > 0) {
        stdin_buffer.resize(static_cast<size_t>(n));
      } else if (n == 0 || errno != EAGAIN) {
        stdin_buffer.clear();
        stdin_source_open = false;
        in->write.Reset();
      } else {
        stdin_buffer.clear();
      }
      stdin_offset = 0;
    }
    if (i_cancel >= 0 && fds[i_cancel].revents) kill_all(Kill::kCancel);

    if (!program_done && !killed) {
      if (now >= wall_deadline) {
        kill_all(Kill::kWall);
      } else if (now >= next_cpu_check) {
        auto usage = (*cgroup)->ReadUsage();
        const auto used = milliseconds(usage ? usage->cpu_ns / 1000000 : 0);
        if (used >= limits.cpu_time) {
          kill_all(Kill::kCpu);
        } else {
          const auto left = limits.cpu_time - used;
          next_cpu_check = now + std::max<Clock::duration>(
              milliseconds(2), std::chrono::duration_cast<Clock::duration>(left / cpu_rate));
        }
      }
    }
    if ((init_exited || init_report) && killed && !out_open && !err_open) error_open = false;
    if (init_report && !killed) {
      // The program is done; whatever it left behind dies with init, which exits now.
      (*cgroup)->KillAll();
      killed = true;
    }
  }
  if (!init_exited) {
    int status = 0;
    ::waitpid(init_pid, &status, 0);
  }
  (*cgroup)->KillAll();

  // 8. The verdict.
  result.wall_time_ms = std::chrono::duration_cast<milliseconds>(end_time - start).count();
  if (auto usage = (*cgroup)->ReadUsage()) {
    result.cpu_time_ms = static_cast<int64_t>(usage->cpu_ns / 1000000);
    result.memory_peak_bytes = usage->memory_peak_bytes;
    const bool program_failed = !init_report || !WIFEXITED(init_report->wait_status) ||
                                WEXITSTATUS(init_report->wait_status) != 0;
    if (kill == Kill::kNone && program_failed && (usage->oom_kills > 0 || usage->memory_hit)) {
      result.status = RunStatus::kMemoryLimit;
      result.message = "memory limit " + FormatSize(limits.memory_bytes) + " exceeded";
    }
  }
  if (init_report) {
    const int ws = init_report->wait_status;
    if (WIFEXITED(ws)) result.exit_code = WEXITSTATUS(ws);
    if (WIFSIGNALED(ws)) result.signal = WTERMSIG(ws);
  } else {
    result.signal = SIGKILL;
  }

  if (child_error) {
    const std::string what = std::string(ChildStageName(child_error->stage)) + ": " + std::strerror(child_error->sys_errno);
    if (child_error->stage == ChildStage::kExec) {
      result.status = RunStatus::kRuntimeError;
      result.exit_code = child_error->sys_errno == ENOENT ? 127 : 126;
      result.signal.reset();
      result.message = "cannot execute " + spec.argv[0] + ": " + std::strerror(child_error->sys_errno);
    } else {
      result.status = RunStatus::kInternalError;
      result.exit_code.reset();
      result.signal.reset();
      result.message = "sandbox setup failed: " + what;
    }
    return result;
  }
  if (result.status == RunStatus::kMemoryLimit) return result;
  switch (kill) {
    case Kill::kCancel:
      result.status = RunStatus::kCancelled;
      result.message = "cancelled";
      return result;
    case Kill::kOutput:
      result.status = RunStatus::kOutputLimit;
      result.message = "output limit " + FormatSize(limits.output_bytes) + " per stream exceeded";
      return result;
    case Kill::kWall:
      result.status = RunStatus::kTimeLimit;
      result.message = "wall time limit " + FormatMs(limits.wall_time) + " exceeded";
      return result;
    case Kill::kCpu:
      result.status = RunStatus::kTimeLimit;
      result.message = "CPU time limit " + FormatMs(limits.cpu_time) + " exceeded";
      return result;
    case Kill::kNone:
      break;
  }
  if (result.signal && (*result.signal == SIGXCPU ||
                        (*result.signal == SIGKILL && milliseconds(result.cpu_time_ms) >= limits.cpu_time))) {
    result.status = RunStatus::kTimeLimit;
    result.message = "CPU time limit " + FormatMs(limits.cpu_time) + " exceeded";
    return result;
  }
  if (result.signal && *result.signal == SIGXFSZ) {
    result.status = RunStatus::kRuntimeError;
    result.message = "file size limit exceeded";
    return result;
  }
  if (result.exit_code && *result.exit_code == 0) {
    result.status = RunStatus::kOk;
    return result;
  }
  result.status = RunStatus::kRuntimeError;
  result.message = result.signal ? std::string("killed by signal ") + strsignal(*result.signal)
                                 : "exited with code " + std::to_string(*result.exit_code);
  return result;
}

}  // namespace runlet::sandbox
