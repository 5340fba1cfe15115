#include "sandbox/sandbox.h"

#include <fcntl.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>

#include "core/environment.h"
#include "core/unique_fd.h"
#include "core/units.h"
#include "sandbox/cgroup.h"
#include "sandbox/child.h"
#include "sandbox/host_view.h"
#include "sandbox/seccomp_filter.h"
#include "sandbox/slots.h"
#include "sandbox/step_message.h"
#include "sandbox/syscalls.h"
#include "sandbox/zygote.h"

namespace runlet::sandbox {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr uid_t kSandboxUid = 1000;  // the program's uid inside its namespace

struct Pipe {
  UniqueFd read, write;
};

Result<Pipe> MakePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) return FailErrno("pipe2");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void SetNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// One byte carrying `fds` as SCM_RIGHTS (ChildPlan::setup_fd).
Status SendFds(int socket, const std::vector<int>& fds) {
  std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()));
  char byte = 's';
  struct iovec iov {&byte, 1};
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
  ssize_t sent;
  do {
    sent = ::sendmsg(socket, &msg, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent != 1) return FailErrno("send the file systems to the sandbox");
  return {};
}

Status WriteProcFile(pid_t pid, const char* name, const std::string& text) {
  const std::string path = "/proc/" + std::to_string(pid) + "/" + name;
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return FailErrno("open " + path);
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return FailErrno("write " + path);
  }
  return {};
}

// The C view of one step that the child reads: built before clone, alive until it ends.
struct StepStrings {
  std::vector<std::string> argv_storage, env_storage, candidates;
  std::vector<char*> argv, envp;
  std::vector<const char*> candidate_ptrs;
  std::vector<ChildRlimit> rlimits;
};

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
    if (dir.empty()) dir.push_back('.');
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

// The CPU time the sandbox's init has used itself (not its children), in ns, from the
// first field of /proc/<pid>/schedstat; readable until init is reaped. 0 if unknown.
uint64_t InitCpuNs(pid_t pid) {
  char path[48];
  std::snprintf(path, sizeof path, "/proc/%d/schedstat", static_cast<int>(pid));
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd) return 0;
  char text[96] = {};
  if (::read(fd.get(), text, sizeof text - 1) <= 0) return 0;
  return std::strtoull(text, nullptr, 10);
}

// This process's argument strings, [arg_start, arg_end) from /proc/self/stat (fields
// 48 and 49, counted after the parenthesized command name, which may hold spaces).
std::pair<char*, size_t> ArgumentArea() {
  UniqueFd fd(::open("/proc/self/stat", O_RDONLY | O_CLOEXEC));
  if (!fd) return {nullptr, 0};
  char text[2048] = {};
  const ssize_t n = ::read(fd.get(), text, sizeof text - 1);
  if (n <= 0) return {nullptr, 0};
  const char* at = std::strrchr(text, ')');
  if (!at) return {nullptr, 0};
  // Fields from the state (3rd) on, separated by single spaces.
  unsigned long long start = 0, end = 0;
  int field = 2;
  for (const char* p = at + 1; *p && field < 49; ++p) {
    if (*p != ' ') continue;
    ++field;
    if (field == 48) start = std::strtoull(p + 1, nullptr, 10);
    if (field == 49) end = std::strtoull(p + 1, nullptr, 10);
  }
  if (start == 0 || end <= start) return {nullptr, 0};
  return {reinterpret_cast<char*>(static_cast<uintptr_t>(start)), static_cast<size_t>(end - start)};
}

}  // namespace

// A sandbox made ready before it is needed: namespaces, file systems, cgroup, uid maps;
// its init waits for a step message. Destroying it kills it.
struct Prepared {
  Slot slot;
  SlotAllocator* slots = nullptr;  // where `slot` goes back
  std::unique_ptr<Cgroup> cgroup;
  std::string key;  // rootfs and disk size: what a run must match to use it
  UniqueFd work;    // the work directory, for the run's files
  pid_t pid = -1;
  UniqueFd pidfd;
  UniqueFd sync, error, report, in, out, err;  // the supervisor's ends
  bool reaped = false;

  void Reap() {
    if (reaped || pid < 0) return;
    int status;
    ::waitpid(pid, &status, 0);
    reaped = true;
  }
  ~Prepared() {
    if (pid >= 0 && !reaped) {
      sys::PidfdSendSignal(pidfd.get(), SIGKILL);
      Reap();
    }
    cgroup.reset();  // killed and removed before the slot is free again
    if (slots) slots->Release(std::move(slot));
  }
};

std::string PoolKey(const std::string& rootfs, uint64_t disk_bytes, uint64_t disk_inodes) {
  return rootfs + "|" + std::to_string(disk_bytes) + "|" + std::to_string(disk_inodes);
}

struct Sandbox::Impl {
  SandboxOptions options;
  Features features;
  std::unique_ptr<CgroupManager> cgroups;
  SlotAllocator slots{"", 0, 0};
  SeccompProgram seccomp;
  std::string stage_dir;
  std::string disk_stage_dir, disk_work, disk_tmp, disk_shm;
  unsigned online_cpus = 1;
  std::pair<char*, size_t> argv_area{nullptr, 0};  // ChildPlan::argv_area
  std::unique_ptr<Zygote> zygote;                  // null: clone from this process

  // Prepared sandboxes by key, refilled by one thread (which must outlive them: they
  // are its children, and die with it).
  std::mutex pool_mu;
  std::condition_variable pool_cv;
  std::map<std::string, std::deque<std::unique_ptr<Prepared>>> pool;
  // The kinds of run (keys) asked for lately, at most kRememberedKinds: how often and how
  // recently each was, and whether the pool prepares for it (SandboxOptions::pool_total).
  struct PoolKind {
    std::tuple<std::string, uint64_t, uint64_t> spec;  // rootfs, disk bytes, disk inodes
    uint64_t requests = 0;
    uint64_t last_used = 0;  // pool_tick at the last request
    bool wanted = false;
  };
  static constexpr size_t kRememberedKinds = 64;
  std::map<std::string, PoolKind> pool_kinds;
  uint64_t pool_tick = 0;
  // Sandboxes whose run has ended (every process reaped): the pool thread removes their
  // cgroups and frees their slots after Run has returned the result.
  std::deque<std::unique_ptr<Prepared>> retired;
  bool pool_stopping = false;
  std::thread pool_thread;

  ~Impl() {
    {
      std::lock_guard lock(pool_mu);
      pool_stopping = true;
    }
    pool_cv.notify_all();
    if (pool_thread.joinable()) pool_thread.join();
    retired.clear();
    pool.clear();
    zygote.reset();  // after every sandbox it cloned is gone
  }

  // Crash recovery: a cgroup whose slot nobody holds was left by a runlet that died;
  // its processes are killed and the cgroup removed. Once per Sandbox: in Create, or
  // (SandboxOptions::recover_in_first_run) while the first sandbox's init starts.
  std::once_flag recovered;
  void RecoverLeftovers() {
    for (const auto& name : cgroups->List()) {
      int index = -1;
      if (std::sscanf(name.c_str(), "slot-%d", &index) != 1 || index < 0) continue;
      if (auto slot = slots.TryAcquire(index)) {
        (void)cgroups->Create(name);  // removes the leftover; the new one dies at once
      }
    }
  }

  Result<std::unique_ptr<Prepared>> Prepare(const std::string& rootfs, uint64_t disk_bytes, uint64_t disk_inodes);
  std::unique_ptr<Prepared> TakePrepared(const std::string& key);
  void FillPool();
  // Both with pool_mu held.
  void NoteRequest(const std::string& key, const RunSpec& spec);
  void StopPreparing(const std::string& key);
  size_t MaxPreparedKinds() const {
    return static_cast<size_t>(std::max(1, std::max(0, options.pool_total) / std::max(1, options.pool_size)));
  }
  size_t PreparedPerKind() const {
    return static_cast<size_t>(std::max(0, std::min(options.pool_size, options.pool_total)));
  }
  RunResult Launch(Prepared& sandbox, const RunSpec& spec, const OutputFn& on_output,
                   std::vector<RunResult>* steps_before_results);
};

Sandbox::Sandbox(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Sandbox::~Sandbox() = default;
const Features& Sandbox::features() const { return impl_->features; }

Result<std::unique_ptr<Sandbox>> Sandbox::Create(const SandboxOptions& options) {
  if (::geteuid() != 0) {
    return Fail("the native sandbox must be started as root (it creates namespaces, cgroups and "
                "mounts, then drops to an unprivileged uid for the program)");
  }
  for (const auto& path : options.host_paths) {
    if (auto why = CheckHostPath(path); !why.empty()) return Fail(ErrorKind::kInvalid, "host path \"" + path + "\": " + why);
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  auto features = DetectFeatures(options.cgroup_mode);
  if (!features) return tl::unexpected(features.error().Wrap("sandbox"));
  impl->features = std::move(*features);
  auto cgroups = MakeCgroupManager(impl->features, options.cgroup_parent);
  if (!cgroups) return tl::unexpected(cgroups.error().Wrap("sandbox"));
  impl->cgroups = std::move(*cgroups);
  impl->seccomp = PrecompiledSeccompProgram();

  if (::mkdir(options.state_dir.c_str(), 0755) < 0 && errno != EEXIST)
    return FailErrno("sandbox: mkdir " + options.state_dir);
  impl->stage_dir = options.state_dir + "/root";
  if (::mkdir(impl->stage_dir.c_str(), 0755) < 0 && errno != EEXIST)
    return FailErrno("sandbox: mkdir " + impl->stage_dir);
  impl->disk_stage_dir = options.state_dir + "/disk";
  if (::mkdir(impl->disk_stage_dir.c_str(), 0755) < 0 && errno != EEXIST)
    return FailErrno("sandbox: mkdir " + impl->disk_stage_dir);
  impl->disk_work = impl->disk_stage_dir + "/work";
  impl->disk_tmp = impl->disk_stage_dir + "/tmp";
  impl->disk_shm = impl->disk_stage_dir + "/shm";
  impl->slots = SlotAllocator(options.state_dir + "/slots", options.uid_base, options.slots);
  if (auto s = impl->slots.Init(); !s) return tl::unexpected(s.error().Wrap("sandbox"));

  if (!options.recover_in_first_run) std::call_once(impl->recovered, [&] { impl->RecoverLeftovers(); });

  // Nobody may read this process's memory or attach to it: it holds other runs' data.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  // Writes to a pipe whose reader is gone must fail with EPIPE, not kill the supervisor.
  ::signal(SIGPIPE, SIG_IGN);
  impl->online_cpus = std::max(1u, std::thread::hardware_concurrency());
  impl->argv_area = ArgumentArea();
  // Last: the zygote is a copy of this process as it is now (signals included), and
  // the smaller the better.
  // RUNLET_SANDBOX_ZYGOTE=0 turns it off (to compare the two in benchmarks).
  const char* zygote_env = std::getenv("RUNLET_SANDBOX_ZYGOTE");
  if (options.zygote && !(zygote_env && std::string_view(zygote_env) == "0")) {
    auto zygote = Zygote::Start(options.zygote_program.empty() ? ZygoteProgramBesideSelf() : options.zygote_program);
    if (!zygote) return tl::unexpected(zygote.error().Wrap("sandbox"));
    impl->zygote = std::move(*zygote);
  }
  return std::unique_ptr<Sandbox>(new Sandbox(std::move(impl)));
}

Status CheckCommand(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                    const Limits& limits) {
  if (argv.empty() || argv[0].empty()) return Fail("no command given");
  if (auto s = ValidateLimits(limits); !s) return s;
  for (const auto& kv : env) {
    if (auto why = CheckEnvEntry(kv); !why.empty()) return Fail(why);
  }
  for (const auto& arg : argv) {
    if (arg.find('\0') != std::string::npos) return Fail("arguments may not contain NUL");
  }
  return {};
}

Result<RunResult> Sandbox::Run(const RunSpec& spec, const OutputFn& on_output,
                               std::vector<RunResult>* steps_before_results) {
  if (auto s = CheckCommand(spec.argv, spec.env, spec.limits); !s) return tl::unexpected(s.error());
  for (size_t i = 0; i < spec.steps_before.size(); ++i) {
    const auto& step = spec.steps_before[i];
    if (auto s = CheckCommand(step.argv, step.env, step.limits); !s)
      return tl::unexpected(s.error().Wrap("step " + std::to_string(i + 1)));
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
  const std::string key = PoolKey(spec.rootfs, spec.limits.disk_bytes, spec.limits.disk_inodes);
  std::unique_ptr<Prepared> sandbox = impl_->TakePrepared(key);
  if (!sandbox) {
    auto fresh = impl_->Prepare(spec.rootfs, spec.limits.disk_bytes, spec.limits.disk_inodes);
    if (!fresh) {
      RunResult result;
      result.status = RunStatus::kInternalError;
      result.cgroup_version = std::string(CgroupModeName(impl_->features.cgroup));
      result.message = fresh.error().message;
      return result;
    }
    sandbox = std::move(*fresh);
  }
  RunResult result = impl_->Launch(*sandbox, spec, on_output, steps_before_results);
  if (impl_->options.pool_size > 0) {
    // The run is over and its processes are gone (or, for a run that never started, its
    // init waits for a message): what is left is the pool thread's to clear, off the
    // caller's time.
    {
      std::lock_guard lock(impl_->pool_mu);
      impl_->retired.push_back(std::move(sandbox));
    }
    impl_->pool_cv.notify_all();
  }
  return result;
}

namespace {

// Supervises the program of one step, from its release to its report.
class StepSupervisor {
 public:
  struct Fds {
    int out, err, in, report, error, pidfd, cancel, stdin_source;
  };

  // The result keeps at most `keep_bytes` of each stream; on_output gets all of it.
  StepSupervisor(const Limits& limits, Cgroup& cgroup, unsigned online_cpus, const OutputFn& on_output,
                 uint64_t keep_bytes)
      : limits_(limits), cgroup_(cgroup), on_output_(on_output),
        cpu_rate_(std::min(limits.cpus, static_cast<double>(online_cpus))), keep_bytes_(keep_bytes) {}

  enum class Kill { kNone, kWall, kCpu, kOutput, kCancel };

  // Runs until the step's report arrives or init dies. `stdin_data` is written to fds.in.
  // Returns false on a supervisor failure (poll).
  bool Supervise(const Fds& fds, std::string stdin_data, bool stdin_from_source, uint64_t cpu_base_ns);

  // Reads whatever the step left in the output pipes (its writers are all dead).
  void Drain(const Fds& fds) {
    if (out_open_) Consume(fds.out, Stream::kStdout, out_bytes_, out_open_, result_.stdout_data, result_.stdout_truncated);
    if (err_open_) Consume(fds.err, Stream::kStderr, err_bytes_, err_open_, result_.stderr_data, result_.stderr_truncated);
  }

  RunResult& result() { return result_; }
  Kill kill() const { return kill_; }
  bool init_exited() const { return init_exited_; }
  const std::optional<InitReport>& report() const { return report_; }
  Clock::duration elapsed() const { return end_ - start_; }
  bool killed() const { return killed_; }

 private:
  void KillAll(int pidfd, Kill why) {
    if (kill_ == Kill::kNone) kill_ = why;
    if (!killed_) {
      sys::PidfdSendSignal(pidfd, SIGKILL);  // pid 1 dies: the namespace dies
      killed_ = true;
    }
  }
  void Consume(int fd, Stream stream, uint64_t& bytes, bool& open, std::string& keep, bool& truncated) {
    for (;;) {
      ssize_t n = ::read(fd, chunk_.data(), chunk_.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (n == 0 || errno != EAGAIN) open = false;
        return;
      }
      size_t take = static_cast<size_t>(n);
      if (bytes + take > limits_.output_bytes) {
        take = static_cast<size_t>(limits_.output_bytes - std::min(bytes, limits_.output_bytes));
        truncated = true;
        KillAll(pidfd_, Kill::kOutput);
      }
      bytes += static_cast<size_t>(n);
      if (take > 0) {
        const uint64_t room = keep.size() < keep_bytes_ ? keep_bytes_ - keep.size() : 0;
        keep.append(chunk_.data(), static_cast<size_t>(std::min<uint64_t>(take, room)));
        if (take > room) (stream == Stream::kStdout ? result_.stdout_clipped : result_.stderr_clipped) = true;
        if (on_output_) on_output_(stream, std::string_view(chunk_.data(), take));
      }
      if (static_cast<size_t>(n) < chunk_.size()) return;
    }
  }

  const Limits& limits_;
  Cgroup& cgroup_;
  const OutputFn& on_output_;
  double cpu_rate_;
  uint64_t keep_bytes_;
  RunResult result_;
  Kill kill_ = Kill::kNone;
  bool killed_ = false, init_exited_ = false, out_open_ = true, err_open_ = true;
  uint64_t out_bytes_ = 0, err_bytes_ = 0;
  int pidfd_ = -1;
  std::optional<InitReport> report_;
  Clock::time_point start_, end_;
  std::string chunk_ = std::string(64 * 1024, '\0');
};

bool StepSupervisor::Supervise(const Fds& fds, std::string stdin_buffer, bool stdin_source_open,
                               uint64_t cpu_base_ns) {
  pidfd_ = fds.pidfd;
  start_ = end_ = Clock::now();
  const auto wall_deadline = start_ + limits_.wall_time;
  // The tree cannot have used its CPU budget before the budget at full bandwidth has
  // passed on the clock, so the first look at the cgroup waits until then.
  auto next_cpu_check = start_ + std::chrono::duration_cast<Clock::duration>(limits_.cpu_time / cpu_rate_);
  size_t stdin_offset = 0;
  int in_fd = fds.in;
  if (in_fd >= 0 && !stdin_source_open && stdin_buffer.empty()) {
    ::close(in_fd);  // EOF at once
    in_fd = -1;
  }
  bool report_open = true;
  for (;;) {
    const bool done = report_.has_value() || init_exited_;
    if (done) {
      // Once init is gone every writer is dead: read to EOF, but never hang on it.
      if (!init_exited_ || ((!out_open_ || fds.out < 0) && (!err_open_ || fds.err < 0)) ||
          Clock::now() - end_ > std::chrono::seconds(2)) {
        break;
      }
    }
    struct pollfd p[8];
    int n = 0;
    int i_out = -1, i_err = -1, i_in = -1, i_report = -1, i_pid = -1, i_cancel = -1, i_src = -1;
    auto add = [&](int fd, short events) {
      p[n] = {fd, events, 0};
      return n++;
    };
    if (out_open_) i_out = add(fds.out, POLLIN);
    if (err_open_) i_err = add(fds.err, POLLIN);
    if (report_open && !report_) i_report = add(fds.report, POLLIN);
    if (!init_exited_) i_pid = add(fds.pidfd, POLLIN);
    if (in_fd >= 0 && stdin_offset < stdin_buffer.size()) {
      i_in = add(in_fd, POLLOUT);
    } else if (in_fd >= 0 && stdin_source_open) {
      i_src = add(fds.stdin_source, POLLIN);
    }
    if (fds.cancel >= 0 && !killed_ && !done) i_cancel = add(fds.cancel, POLLIN);

    // Sleep until output, the program's end, the wall deadline or the moment the CPU
    // budget could at the earliest be spent.
    auto now = Clock::now();
    auto wake = done || killed_ ? now + milliseconds(100) : std::min(wall_deadline, next_cpu_check);
    int timeout = static_cast<int>(std::max<int64_t>(
        0, std::chrono::duration_cast<milliseconds>(wake - now + std::chrono::microseconds(999)).count()));
    int ready = ::poll(p, static_cast<nfds_t>(n), timeout);
    if (ready < 0 && errno != EINTR) return false;
    now = Clock::now();

    if (i_out >= 0 && p[i_out].revents) Consume(fds.out, Stream::kStdout, out_bytes_, out_open_, result_.stdout_data, result_.stdout_truncated);
    if (i_err >= 0 && p[i_err].revents) Consume(fds.err, Stream::kStderr, err_bytes_, err_open_, result_.stderr_data, result_.stderr_truncated);
    if (i_report >= 0 && p[i_report].revents) {
      InitReport r{};
      ssize_t got = ::read(fds.report, &r, sizeof r);
      if (got == sizeof r) {
        report_ = r;
        if (!killed_ || end_ == start_) end_ = now;
      } else if (got == 0 || (got < 0 && errno != EAGAIN)) {
        report_open = false;
      }
    }
    if (i_pid >= 0 && p[i_pid].revents) {
      init_exited_ = true;
      if (!report_) end_ = now;
      // Init has gone: the kernel kills the rest of the namespace; make sure of it.
      cgroup_.KillAll();
      killed_ = true;
    }
    if (i_in >= 0 && p[i_in].revents) {
      ssize_t w = ::write(in_fd, stdin_buffer.data() + stdin_offset, stdin_buffer.size() - stdin_offset);
      if (w > 0) stdin_offset += static_cast<size_t>(w);
      if (w < 0 && errno != EAGAIN) {  // the program closed its stdin
        ::close(in_fd);
        in_fd = -1;
      } else if (stdin_offset == stdin_buffer.size()) {
        stdin_buffer.clear();
        stdin_offset = 0;
        if (!stdin_source_open) {
          ::close(in_fd);
          in_fd = -1;
        }
      }
    }
    if (i_src >= 0 && p[i_src].revents) {
      stdin_buffer.resize(64 * 1024);
      ssize_t got = ::read(fds.stdin_source, stdin_buffer.data(), stdin_buffer.size());
      if (got > 0) {
        stdin_buffer.resize(static_cast<size_t>(got));
      } else {
        stdin_buffer.clear();
        if (got == 0 || errno != EAGAIN) {
          stdin_source_open = false;
          ::close(in_fd);
          in_fd = -1;
        }
      }
      stdin_offset = 0;
    }
    if (i_cancel >= 0 && p[i_cancel].revents) KillAll(fds.pidfd, Kill::kCancel);

    if (!report_ && !init_exited_ && !killed_) {
      if (now >= wall_deadline) {
        KillAll(fds.pidfd, Kill::kWall);
      } else if (now >= next_cpu_check) {
        auto usage = cgroup_.ReadUsage();
        const uint64_t ns = usage && usage->cpu_ns > cpu_base_ns ? usage->cpu_ns - cpu_base_ns : 0;
        const auto used = milliseconds(ns / 1000000);
        if (used >= limits_.cpu_time) {
          KillAll(fds.pidfd, Kill::kCpu);
        } else {
          const auto left = limits_.cpu_time - used;
          next_cpu_check = now + std::max<Clock::duration>(
              milliseconds(2), std::chrono::duration_cast<Clock::duration>(left / cpu_rate_));
        }
      }
    }
    if (killed_ && !init_exited_ && end_ == start_) end_ = now;
  }
  return true;
}

// Turns what happened to a step into its status and message.
void Classify(RunResult& result, const Limits& limits, StepSupervisor::Kill kill,
              const std::optional<InitReport>& report, const std::optional<CgroupUsage>& usage,
              uint64_t oom_base) {
  if (report) {
    const int ws = report->wait_status;
    if (WIFEXITED(ws)) result.exit_code = WEXITSTATUS(ws);
    if (WIFSIGNALED(ws)) result.signal = WTERMSIG(ws);
  } else {
    result.signal = SIGKILL;
  }
  using Kill = StepSupervisor::Kill;
  const bool failed = !result.exit_code || *result.exit_code != 0;
  if (kill == Kill::kNone && failed && usage &&
      (usage->oom_kills > oom_base || (usage->memory_hit && result.signal == SIGKILL))) {
    result.status = RunStatus::kMemoryLimit;
    result.message = "memory limit " + FormatSize(limits.memory_bytes) + " exceeded";
    return;
  }
  switch (kill) {
    case Kill::kCancel:
      result.status = RunStatus::kCancelled;
      result.message = "cancelled";
      return;
    case Kill::kOutput:
      result.status = RunStatus::kOutputLimit;
      result.message = "output limit " + FormatSize(limits.output_bytes) + " per stream exceeded";
      return;
    case Kill::kWall:
      result.status = RunStatus::kTimeLimit;
      result.message = "wall time limit " + FormatMs(limits.wall_time) + " exceeded";
      return;
    case Kill::kCpu:
      result.status = RunStatus::kTimeLimit;
      result.message = "CPU time limit " + FormatMs(limits.cpu_time) + " exceeded";
      return;
    case Kill::kNone:
      break;
  }
  if (result.signal && (*result.signal == SIGXCPU ||
                        (*result.signal == SIGKILL && milliseconds(result.cpu_time_ms) >= limits.cpu_time))) {
    result.status = RunStatus::kTimeLimit;
    result.message = "CPU time limit " + FormatMs(limits.cpu_time) + " exceeded";
    return;
  }
  if (result.signal && *result.signal == SIGXFSZ) {
    result.status = RunStatus::kRuntimeError;
    result.message = "file size limit exceeded";
    return;
  }
  if (result.exit_code && *result.exit_code == 0) {
    result.status = RunStatus::kOk;
    return;
  }
  result.status = RunStatus::kRuntimeError;
  result.message = result.signal ? std::string("killed by signal ") + strsignal(*result.signal)
                                 : "exited with code " + std::to_string(*result.exit_code);
}

// Drains a non-blocking fd of ChildErrors; returns the last one for `step`, if any.
std::optional<ChildError> ReadChildError(int fd, bool& open) {
  std::optional<ChildError> last;
  for (;;) {
    ChildError e{};
    ssize_t n = ::read(fd, &e, sizeof e);
    if (n == sizeof e) {
      last = e;
      continue;
    }
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) open = false;
    return last;
  }
}

}  // namespace

bool Sandbox::WaitUntilPrepared(const RunSpec& spec, std::chrono::milliseconds timeout) {
  if (impl_->options.pool_size <= 0) return false;
  const std::string key = PoolKey(spec.rootfs, spec.limits.disk_bytes, spec.limits.disk_inodes);
  std::unique_lock lock(impl_->pool_mu);
  return impl_->pool_cv.wait_for(lock, timeout, [&] {
    auto it = impl_->pool.find(key);
    return it != impl_->pool.end() && !it->second.empty();
  });
}

size_t Sandbox::PreparedCount() {
  std::lock_guard lock(impl_->pool_mu);
  size_t count = 0;
  for (const auto& [key, prepared] : impl_->pool) count += prepared.size();
  return count;
}

void Sandbox::Impl::NoteRequest(const std::string& key, const RunSpec& spec) {
  PoolKind& kind = pool_kinds[key];
  kind.spec = {spec.rootfs, spec.limits.disk_bytes, spec.limits.disk_inodes};
  kind.requests++;
  kind.last_used = ++pool_tick;
  if (!kind.wanted) {
    size_t wanted = 0;
    auto least_recent = pool_kinds.end();
    for (auto it = pool_kinds.begin(); it != pool_kinds.end(); ++it) {
      if (!it->second.wanted) continue;
      ++wanted;
      if (least_recent == pool_kinds.end() || it->second.last_used < least_recent->second.last_used) least_recent = it;
    }
    if (wanted < MaxPreparedKinds()) {
      kind.wanted = true;  // room enough
    } else if (kind.requests >= 2 && least_recent != pool_kinds.end()) {
      StopPreparing(least_recent->first);  // a kind asked for again is worth a place
      kind.wanted = true;
    }
  }
  // Forget the least recently used kinds that nothing is prepared for.
  while (pool_kinds.size() > kRememberedKinds) {
    auto oldest = pool_kinds.end();
    for (auto it = pool_kinds.begin(); it != pool_kinds.end(); ++it) {
      if (!it->second.wanted && (oldest == pool_kinds.end() || it->second.last_used < oldest->second.last_used)) oldest = it;
    }
    if (oldest == pool_kinds.end()) break;
    pool_kinds.erase(oldest);
  }
}

void Sandbox::Impl::StopPreparing(const std::string& key) {
  pool_kinds[key].wanted = false;
  auto it = pool.find(key);
  if (it == pool.end()) return;
  // Its sandboxes go the way of used ones: the pool thread frees their slots.
  for (auto& prepared : it->second) retired.push_back(std::move(prepared));
  pool.erase(it);
}

std::unique_ptr<Prepared> Sandbox::Impl::TakePrepared(const std::string& key) {
  if (options.pool_size <= 0) return nullptr;
  std::unique_ptr<Prepared> taken;
  {
    std::lock_guard lock(pool_mu);
    auto it = pool.find(key);
    if (it != pool.end() && !it->second.empty()) {
      taken = std::move(it->second.front());
      it->second.pop_front();
    }
  }
  // A sandbox whose init has died (e.g. killed from outside) is useless.
  if (taken) {
    struct pollfd p {taken->pidfd.get(), POLLIN, 0};
    if (::poll(&p, 1, 0) != 0) taken.reset();
  }
  pool_cv.notify_all();
  return taken;
}

void Sandbox::Impl::FillPool() {
  std::unique_lock lock(pool_mu);
  while (!pool_stopping) {
    if (!retired.empty()) {
      std::unique_ptr<Prepared> done = std::move(retired.front());
      retired.pop_front();
      lock.unlock();
      done.reset();
      lock.lock();
      continue;
    }
    // The most recently asked-for kind that lacks a sandbox, within the pool's bound.
    size_t prepared_total = 0;
    for (const auto& [key, prepared] : pool) prepared_total += prepared.size();
    std::string missing;
    std::tuple<std::string, uint64_t, uint64_t> spec;
    uint64_t most_recent = 0;
    for (const auto& [key, kind] : pool_kinds) {
      if (!kind.wanted || kind.last_used < most_recent) continue;
      auto it = pool.find(key);
      if (it != pool.end() && it->second.size() >= PreparedPerKind()) continue;
      missing = key;
      spec = kind.spec;
      most_recent = kind.last_used;
    }
    if (missing.empty() || prepared_total >= static_cast<size_t>(std::max(0, options.pool_total))) {
      pool_cv.wait(lock);
      continue;
    }
    lock.unlock();
    auto prepared = Prepare(std::get<0>(spec), std::get<1>(spec), std::get<2>(spec));
    lock.lock();
    if (prepared) {
      auto kind = pool_kinds.find(missing);
      if (kind != pool_kinds.end() && kind->second.wanted) {
        pool[missing].push_back(std::move(*prepared));
        pool_cv.notify_all();  // for WaitUntilPrepared
      } else {
        retired.push_back(std::move(*prepared));  // its kind lost its place meanwhile
      }
    } else {
      pool_cv.wait_for(lock, std::chrono::seconds(1));  // e.g. all slots busy: try again later
    }
  }
}

Result<std::unique_ptr<Prepared>> Sandbox::Impl::Prepare(const std::string& rootfs_path, uint64_t disk_bytes,
                                                        uint64_t disk_inodes) {
  auto sandbox = std::make_unique<Prepared>();
  sandbox->key = PoolKey(rootfs_path, disk_bytes, disk_inodes);
  auto slot = slots.Acquire();
  if (!slot) return tl::unexpected(slot.error());
  sandbox->slot = std::move(*slot);
  sandbox->slots = &slots;

  // 1. Cgroup, where a process can be born in it (v2: CLONE_INTO_CGROUP); on v1 init
  // joins it itself, so the cgroup is made while init starts (step 6). Limits are set
  // when the run is known.
  const bool cgroup_first = features.cgroup != CgroupMode::kV1;
  const std::string cgroup_name = "slot-" + std::to_string(sandbox->slot.index);
  if (cgroup_first) {
    auto cgroup = cgroups->Create(cgroup_name);
    if (!cgroup) return tl::unexpected(cgroup.error());
    sandbox->cgroup = std::move(*cgroup);
  }

  // 2. What the root will hold (the mounts themselves are made in step 6).
  RootfsSpec rootfs_spec;
  rootfs_spec.rootfs = rootfs_path;
  rootfs_spec.host_paths = options.host_paths;
  rootfs_spec.sandbox_uid = kSandboxUid;
  rootfs_spec.host_uid = sandbox->slot.host_uid;
  rootfs_spec.disk_bytes = disk_bytes;
  rootfs_spec.disk_inodes = disk_inodes;
  rootfs_spec.agent_path = options.agent_path;
  auto layout = PlanRootfs(rootfs_spec);
  if (!layout) return tl::unexpected(layout.error().Wrap("prepare file systems"));

  // 3. Pipes, and the set-up socket that carries the mounts and cgroup files to init.
  auto sync = MakePipe(), error = MakePipe(), report = MakePipe(), in = MakePipe(), out = MakePipe(),
       err = MakePipe();
  for (auto* p : {&sync, &error, &report, &in, &out, &err}) {
    if (!*p) return tl::unexpected(p->error());
  }
  int setup_pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, setup_pair) < 0) return FailErrno("socketpair");
  UniqueFd setup(setup_pair[0]), setup_child(setup_pair[1]);

  // 4. What the child reads, as C data.
  std::vector<const char*> bind_sources, bind_targets, masks;
  for (auto& b : layout->bind_sources) bind_sources.push_back(b.c_str());
  for (auto& b : layout->bind_targets) bind_targets.push_back(b.c_str());
  for (auto& m : layout->masks) masks.push_back(m.c_str());
  const struct sock_fprog fprog = seccomp.Fprog();
  ChildPlan plan{};
  plan.sync_fd = sync->read.get();
  plan.error_fd = error->write.get();
  plan.report_fd = report->write.get();
  plan.stdin_fd = in->read.get();
  plan.stdout_fd = out->write.get();
  plan.stderr_fd = err->write.get();
  plan.setup_fd = setup_child.get();
  plan.skeleton_fd = plan.disk_fd = -1;
  plan.stage_dir = stage_dir.c_str();
  plan.disk_stage_dir = disk_stage_dir.c_str();
  plan.disk_work = disk_work.c_str();
  plan.disk_tmp = disk_tmp.c_str();
  plan.disk_shm = disk_shm.c_str();
  plan.bind_sources = bind_sources.data();
  plan.bind_targets = bind_targets.data();
  plan.bind_count = bind_sources.size();
  plan.masks = masks.data();
  plan.mask_count = masks.size();
  plan.use_mount_setattr = features.mount_setattr;
  plan.uid = kSandboxUid;
  plan.gid = kSandboxUid;
  plan.seccomp = &fprog;
  plan.workdir = "/work";
  plan.argv_area = argv_area.first;
  plan.argv_area_size = argv_area.second;
  cpu_set_t program_cpus, setup_cpus;
  CPU_ZERO(&program_cpus);
  plan.setup_cpus = plan.program_cpus = nullptr;
  if (::sched_getaffinity(0, sizeof program_cpus, &program_cpus) == 0) {
    setup_cpus = program_cpus;
    const int here = ::sched_getcpu();
    if (here >= 0 && here < CPU_SETSIZE) CPU_CLR(here, &setup_cpus);
    if (CPU_COUNT(&setup_cpus) > 0) {
      plan.setup_cpus = &setup_cpus;
      plan.program_cpus = &program_cpus;
    }
  }

  // 5. Clone into new user, mount and pid namespaces (init makes the others), on v2 born
  // in the cgroup.
  int pidfd_raw = -1;
  struct clone_args args {};
  args.flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uintptr_t>(&pidfd_raw);
  args.exit_signal = SIGCHLD;
  const bool born_inside = cgroup_first && sandbox->cgroup->CloneIntoFd() >= 0 && features.clone_into_cgroup;
  if (born_inside) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(sandbox->cgroup->CloneIntoFd());
  }
  // A new task starts on its parent's CPU and, being new, takes it from the parent at
  // once: init would make its namespaces while the supervisor waits, and the work meant
  // to overlap would run in turn. Born SCHED_BATCH (inherited), init does not preempt;
  // the supervisor moves it to another CPU (ChildPlan::setup_cpus), where it starts at
  // once, and both return to the policy the supervisor had.
  long cloned = -1;
  int clone_errno = 0;
  if (zygote && zygote->alive()) {
    // The zygote clones with the same flags, policy and CPUs, and CLONE_PARENT: init is
    // this process's child all the same.
    auto made = zygote->Clone(plan, args.flags & ~static_cast<uint64_t>(CLONE_PIDFD | CLONE_INTO_CGROUP),
                              born_inside ? sandbox->cgroup->CloneIntoFd() : -1);
    if (made) {
      cloned = made->pid;
      pidfd_raw = made->pidfd.Release();
    } else if (zygote->alive()) {
      return tl::unexpected(made.error());
    }
  }
  if (cloned < 0) {
    const int policy = ::sched_getscheduler(0);
    struct sched_param no_priority {};
    const bool batch = plan.setup_cpus && policy == SCHED_OTHER && ::sched_setscheduler(0, SCHED_BATCH, &no_priority) == 0;
    {
      std::unique_lock fence(CloneFence());  // no file open for writing is copied (rootfs.h)
      cloned = sys::Clone3(&args);
      if (cloned == 0) RunSandboxInit(plan);  // never returns; the child leaves the lock alone
    }
    clone_errno = errno;
    if (cloned > 0 && plan.setup_cpus) {
      (void)::sched_setaffinity(static_cast<pid_t>(cloned), sizeof(cpu_set_t), plan.setup_cpus);
    }
    if (batch) {
      if (cloned > 0) (void)::sched_setscheduler(static_cast<pid_t>(cloned), SCHED_OTHER, &no_priority);
      (void)::sched_setscheduler(0, SCHED_OTHER, &no_priority);
    }
  }
  if (cloned < 0) return FailErrno("clone3", clone_errno);
  sandbox->pid = static_cast<pid_t>(cloned);
  sandbox->pidfd.Reset(pidfd_raw);
  sandbox->sync = std::move(sync->write);
  sandbox->error = std::move(error->read);
  sandbox->report = std::move(report->read);
  sandbox->in = std::move(in->write);
  sandbox->out = std::move(out->read);
  sandbox->err = std::move(err->read);
  // The child's ends are its own now. Ours go at once: a read of the error pipe must see
  // EOF once the child is gone (child_failed below).
  for (auto* end : {&sync->read, &error->write, &report->write, &in->read, &out->write, &err->write, &setup_child}) {
    end->Reset();
  }

  auto child_failed = [&](const Error& e) -> tl::unexpected<Error> {
    sys::PidfdSendSignal(sandbox->pidfd.get(), SIGKILL);
    sandbox->Reap();
    // If the child failed first (its setup runs concurrently), its error is the cause.
    ChildError child{};
    if (::read(sandbox->error.get(), &child, sizeof child) == sizeof child) {
      return Fail(std::string("sandbox setup failed: ") + ChildStageName(child.stage) + ": " +
                      std::strerror(child.sys_errno),
                  child.sys_errno);
    }
    return tl::unexpected(e);
  };

  // 6. While init makes its namespaces: identity maps (only the sandbox user, never host
  // root), the cgroup (v1), the file systems; then all of it goes to init.
  const std::string map = std::to_string(kSandboxUid) + " " + std::to_string(sandbox->slot.host_uid) + " 1\n";
  if (auto st = WriteProcFile(sandbox->pid, "uid_map", map); !st) return child_failed(st.error());
  if (auto st = WriteProcFile(sandbox->pid, "gid_map", map); !st) return child_failed(st.error());
  if (!cgroup_first) {
    auto cgroup = cgroups->Create(cgroup_name);
    if (!cgroup) return child_failed(cgroup.error());
    sandbox->cgroup = std::move(*cgroup);
  } else if (!born_inside) {
    if (auto st = sandbox->cgroup->AddProcess(sandbox->pid); !st) return child_failed(st.error());
  }
  auto joins = sandbox->cgroup->OpenSelfJoin();
  if (!joins) return child_failed(joins.error());
  auto rootfs = BuildRootfs(rootfs_spec, *layout);
  if (!rootfs) return child_failed(rootfs.error().Wrap("prepare file systems"));
  sandbox->work = std::move(rootfs->work);
  std::vector<int> fds{rootfs->skeleton.get(), rootfs->disk.get()};
  for (const auto& fd : *joins) fds.push_back(fd.get());
  if (auto st = SendFds(setup.get(), fds); !st) return child_failed(st.error());
  std::call_once(recovered, [this] { RecoverLeftovers(); });

  for (int fd : {sandbox->out.get(), sandbox->err.get(), sandbox->in.get(), sandbox->report.get(), sandbox->error.get()}) {
    SetNonBlocking(fd);
  }
  return sandbox;
}

RunResult Sandbox::Impl::Launch(Prepared& sandbox, const RunSpec& spec, const OutputFn& on_output,
                                std::vector<RunResult>* steps_before_results) {
  RunResult result;
  result.cgroup_version = std::string(CgroupModeName(features.cgroup));
  auto internal = [&](const Error& e) {
    result.status = RunStatus::kInternalError;
    result.message = e.message;
    return result;
  };
  // Runs with the same file systems get a sandbox prepared ahead, within the pool's bound.
  if (options.pool_size > 0) {
    std::lock_guard lock(pool_mu);
    NoteRequest(sandbox.key, spec);
    if (!pool_thread.joinable()) pool_thread = std::thread([this] { FillPool(); });
  }
  pool_cv.notify_all();

  // The steps in order: those before, then the main command.
  std::vector<const Step*> steps;
  Step main_step{spec.argv, spec.env, spec.limits};
  for (const auto& step : spec.steps_before) steps.push_back(&step);
  steps.push_back(&main_step);

  // 1. The run's files, written before any program exists in this sandbox.
  if (auto st = PopulateWork(sandbox.work.get(), spec.files_dir, spec.files, sandbox.slot.host_uid); !st) {
    if (st.error().sys_errno == ENOSPC) {
      result.status = RunStatus::kRuntimeError;
      result.message = st.error().message;
      return result;
    }
    return internal(st.error().Wrap("write files"));
  }
  sandbox.work.Reset();
  Cgroup& cgroup = *sandbox.cgroup;
  if (auto st = cgroup.Apply(steps[0]->limits); !st) return internal(st.error().Wrap("set cgroup limits"));

  // 2. The step message.
  std::vector<EncodedStep> encoded(steps.size());
  for (size_t i = 0; i < steps.size(); ++i) {
    encoded[i].argv = steps[i]->argv;
    encoded[i].env = StepEnvironment(steps[i]->env);
    encoded[i].candidates = ExecCandidates(steps[i]->argv[0], encoded[i].env);
    encoded[i].rlimits = BuildRlimits(steps[i]->limits);
    encoded[i].stdin_null = i + 1 < steps.size();
  }
  const std::string message = EncodeSteps(encoded);
  if (message.empty()) {
    result.status = RunStatus::kRuntimeError;
    result.exit_code = 126;
    result.message = "the arguments and environment are too large (E2BIG)";
    return result;
  }
  if (spec.workdir != "/work") return internal(Error{"only /work is supported as the work directory"});

  // 3. Each step: release it, supervise it, account for it.
  bool error_open = true;
  std::optional<ChildError> setup_error;
  bool message_sent = false;
  for (size_t index = 0; index < steps.size(); ++index) {
    const bool is_main = index + 1 == steps.size();
    const Limits& limits = steps[index]->limits;
    // The step's accounting starts here: what init spent building the sandbox (and, on
    // v1, the supervisor's clone from inside the cgroup) is not the program's.
    uint64_t cpu_base = 0, oom_base = 0, memory_base = 0;
    if (index > 0) {
      if (auto st = cgroup.Apply(limits); !st) return internal(st.error().Wrap("set cgroup limits"));
    }
    cgroup.ResetPeak();
    if (auto usage = cgroup.ReadUsage()) {
      cpu_base = usage->cpu_ns;
      oom_base = usage->oom_kills;
      // What earlier steps left charged to the cgroup (the build's files in the tmpfs,
      // the compiler's page cache, however much of it the kernel has kept) is not this
      // step's: its peak is counted above it, so the same program reports the same.
      if (index > 0) memory_base = usage->memory_peak_bytes;
    }
    const uint64_t init_cpu_base = InitCpuNs(sandbox.pid);
    if (spec.on_step) spec.on_step(index);
    // The message (first step) or a byte (later ones) lets init start the step. Init is
    // reading, so a large message only waits for it, never for the program.
    const std::string_view go = message_sent ? std::string_view("g", 1) : std::string_view(message);
    message_sent = true;
    size_t written = 0;
    bool release_failed = false;
    while (written < go.size()) {
      ssize_t n = ::write(sandbox.sync.get(), go.data() + written, go.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        release_failed = true;  // init is gone; the supervisor below finds out why
        break;
      }
      written += static_cast<size_t>(n);
    }
    (void)release_failed;
    if (is_main) sandbox.sync.Reset();

    Limits unbounded;
    if (is_main && spec.unbounded_output) {
      unbounded = limits;
      unbounded.output_bytes = UINT64_MAX;
    }
    StepSupervisor supervisor(is_main && spec.unbounded_output ? unbounded : limits, cgroup, online_cpus, on_output,
                              spec.keep_output_bytes);
    StepSupervisor::Fds fds{sandbox.out.get(),    sandbox.err.get(),   is_main ? sandbox.in.get() : -1,
                            sandbox.report.get(), sandbox.error.get(), sandbox.pidfd.get(),
                            spec.cancel_fd,       spec.stdin_fd};
    std::string stdin_data = is_main ? spec.stdin_data : std::string();
    if (is_main) sandbox.in.Release();  // the supervisor closes it when stdin ends
    if (!supervisor.Supervise(fds, std::move(stdin_data), is_main && spec.stdin_fd >= 0, cpu_base)) {
      return internal(Error{"poll", errno});
    }
    supervisor.Drain(fds);
    if (error_open) {
      if (auto e = ReadChildError(sandbox.error.get(), error_open)) setup_error = e;
    }
    // Init's own work for the step (starting the program, reaping, reporting, exiting)
    // counts in the cgroup too; the program's CPU time is the rest. Init's figure is
    // complete once it waits for the next step, or once it has exited (a zombie's is
    // still readable).
    uint64_t init_cpu = 0;
    // Pooled, a run that ended normally does not wait for init's exit (the pid and mount
    // namespaces' teardown, an RCU grace period among it): init has reported and does
    // nothing but exit, and the pool thread reaps it and kills the cgroup (~Prepared)
    // before the slot is used again. Its processes are not the result's any more.
    const bool exit_later = is_main && options.pool_size > 0 && supervisor.report() && !supervisor.init_exited() &&
                            supervisor.kill() == StepSupervisor::Kill::kNone;
    if ((supervisor.init_exited() || is_main) && !exit_later) {
      // Init has ended or is ending (report sent, or killed). Once it has exited, the
      // kernel has killed and waited for every process of its pid namespace; the cgroup
      // is checked all the same.
      struct pollfd exited {sandbox.pidfd.get(), POLLIN, 0};
      while (::poll(&exited, 1, -1) < 0 && errno == EINTR) {
      }
      init_cpu = InitCpuNs(sandbox.pid);
      sandbox.Reap();
      cgroup.KillAll();
      if (error_open) {
        if (auto e = ReadChildError(sandbox.error.get(), error_open)) setup_error = e;
      }
    } else {
      init_cpu = InitCpuNs(sandbox.pid);
    }
    const uint64_t init_cpu_step = init_cpu > init_cpu_base ? init_cpu - init_cpu_base : 0;

    RunResult step_result;
    step_result.cgroup_version = result.cgroup_version;
    step_result.stdout_data = std::move(supervisor.result().stdout_data);
    step_result.stderr_data = std::move(supervisor.result().stderr_data);
    step_result.stdout_truncated = supervisor.result().stdout_truncated;
    step_result.stderr_truncated = supervisor.result().stderr_truncated;
    step_result.stdout_clipped = supervisor.result().stdout_clipped;
    step_result.stderr_clipped = supervisor.result().stderr_clipped;
    step_result.wall_time_ms = std::chrono::duration_cast<milliseconds>(supervisor.elapsed()).count();
    std::optional<CgroupUsage> usage;
    if (auto u = cgroup.ReadUsage()) usage = *u;
    if (usage) {
      const uint64_t step_ns = usage->cpu_ns - std::min(usage->cpu_ns, cpu_base);
      step_result.cpu_time_ms = static_cast<int64_t>((step_ns - std::min(step_ns, init_cpu_step)) / 1000000);
      step_result.memory_peak_bytes = usage->memory_peak_bytes - std::min(usage->memory_peak_bytes, memory_base);
    }
    Classify(step_result, limits, supervisor.kill(), supervisor.report(), usage, oom_base);
    if (setup_error && (setup_error->step == static_cast<int>(index) || setup_error->step < 0)) {
      const ChildError e = *setup_error;
      step_result.exit_code.reset();
      step_result.signal.reset();
      if (e.stage == ChildStage::kExec) {
        step_result.status = RunStatus::kRuntimeError;
        step_result.exit_code = e.sys_errno == ENOENT ? 127 : 126;
        step_result.message = "cannot execute " + steps[index]->argv[0] + ": " + std::strerror(e.sys_errno);
      } else {
        step_result.status = RunStatus::kInternalError;
        step_result.message =
            std::string("sandbox setup failed: ") + ChildStageName(e.stage) + ": " + std::strerror(e.sys_errno);
      }
    } else if (!supervisor.report() && supervisor.kill() == StepSupervisor::Kill::kNone) {
      if (usage && usage->oom_kills > oom_base) {
        // Memory the program left behind (files in /dev/shm, say) made the OOM killer
        // take init too, once the program itself was gone.
        step_result.status = RunStatus::kMemoryLimit;
        step_result.exit_code.reset();
        step_result.signal = SIGKILL;
        step_result.message = "memory limit " + FormatSize(limits.memory_bytes) + " exceeded";
      } else {
        step_result.status = RunStatus::kInternalError;
        step_result.signal.reset();
        step_result.message = "the sandbox's init ended unexpectedly";
      }
    }

    if (is_main) {
      result = std::move(step_result);
      if (exit_later) return result;
      break;
    }
    if (steps_before_results) steps_before_results->push_back(step_result);
    if (step_result.status != RunStatus::kOk || supervisor.init_exited()) {
      // The main command never runs; stop init (EOF on sync) and report why.
      sandbox.sync.Reset();
      cgroup.KillAll();
      sandbox.Reap();
      // A cancel during an earlier step (stop, supersede) is a cancel, not a failed build.
      result.status = step_result.status == RunStatus::kInternalError ? RunStatus::kInternalError
                      : step_result.status == RunStatus::kCancelled   ? RunStatus::kCancelled
                                                                      : RunStatus::kCompileError;
      result.message = "step " + std::to_string(index + 1) + " (" + steps[index]->argv[0] + ") failed: " +
                       (step_result.message.empty() ? std::string(StatusName(step_result.status)) : step_result.message);
      return result;
    }
  }
  sandbox.Reap();
  return result;
}

}  // namespace runlet::sandbox
