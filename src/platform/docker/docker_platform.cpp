#include "platform/docker/docker_platform.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "core/files.h"
#include "core/unique_fd.h"
#include "core/units.h"
#include "image/rootfs_export.h"
#include "image/sha256.h"
#include "platform/container_step.h"
#include "platform/docker/container_cgroup.h"
#include "platform/docker/frame_demuxer.h"
#include "platform/docker/seccomp_profile.h"
#include "platform/docker/tar_writer.h"
#include "sandbox/host_view.h"

#ifndef RUNLET_SECCOMP_EXEC
#define RUNLET_SECCOMP_EXEC ""
#endif

namespace runlet::platform::docker {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr const char* kManagedLabel = "runlet.managed";
constexpr const char* kOwnerLabel = "runlet.owner";
constexpr const char* kHostLabel = "runlet.host";
constexpr const char* kMasks[] = {"/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-"};
// Where runlet-seccomp-exec is bound in a container (DockerOptions::seccomp_exec).
constexpr const char* kSeccompExecTarget = "/.runlet/seccomp-exec";
// A job's container ends this long after the sum of its steps' wall limits.
constexpr milliseconds kKeeperGrace{5000};
// How long a step's exec is asked for its pid every 5 ms (then every 100 ms).
constexpr milliseconds kPidSearch{1000};


Result<json::value> ParseJson(const std::string& text, std::string_view what) {
  boost::system::error_code ec;
  auto doc = json::parse(text, ec);
  if (ec) return Fail(std::string(what) + ": the engine's answer is not JSON: " + ec.message());
  return doc;
}

std::string StringField(const json::value& v, std::string_view key) {
  if (!v.is_object()) return {};
  const auto* f = v.as_object().if_contains(key);
  return f && f->is_string() ? std::string(f->as_string()) : std::string();
}

int64_t IntField(const json::value& v, std::string_view key, int64_t fallback = 0) {
  if (!v.is_object()) return fallback;
  const auto* f = v.as_object().if_contains(key);
  return f && f->is_int64() ? f->as_int64() : fallback;
}

bool BoolField(const json::value& v, std::string_view key) {
  if (!v.is_object()) return false;
  const auto* f = v.as_object().if_contains(key);
  return f && f->is_bool() && f->as_bool();
}

// Calls the engine and turns an HTTP error status into an error with its message.
Result<EngineResponse> Call(const EngineClient& engine, std::string_view what, std::string_view method,
                            const std::string& target, const std::string& body = {}) {
  auto response = engine.Request(method, target, body);
  if (!response) return tl::unexpected(response.error().Wrap(what));
  if (!response->ok()) return tl::unexpected(EngineError(what, *response));
  return response;
}

std::string RandomName(std::string_view prefix) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(rng()));
  return std::string(prefix) + hex;
}

std::string ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Field 22 of /proc/<pid>/stat: the start time in clock ticks since boot, 0 if gone.
uint64_t StartTime(pid_t pid) {
  const std::string stat = ReadSmallFile("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) return std::strtoull(field.c_str(), nullptr, 10);
  }
  return 0;
}

std::string BootId() {
  std::string id = ReadSmallFile("/proc/sys/kernel/random/boot_id");
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  return id;
}

uid_t ProcessUid(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Uid:", 0) == 0) return static_cast<uid_t>(std::strtoul(line.c_str() + 4, nullptr, 10));
  }
  return static_cast<uid_t>(-1);
}

// A regular file at `path` below the root `root_fd`, reached without a symlink (as the
// native sandbox checks what it mounts over): an image's symlinks are never followed on
// the host.
bool RegularFileBeneath(int root_fd, const std::string& path) {
  auto st = StatBeneath(root_fd, path);
  return st && S_ISREG(st->st_mode);
}

json::array StringArray(const std::vector<std::string>& items) {
  json::array out;
  for (const auto& s : items) out.emplace_back(s);
  return out;
}

// The run's files as a tar for /work: owned by the step user, directories made explicit.
std::string FilesArchive(const std::vector<InputFile>& files, uid_t uid) {
  TarWriter tar(uid, uid, static_cast<int64_t>(::time(nullptr)));
  std::set<std::string> dirs;
  for (const auto& f : files) {
    for (size_t slash = f.path.find('/'); slash != std::string::npos; slash = f.path.find('/', slash + 1)) {
      dirs.insert(f.path.substr(0, slash));
    }
  }
  for (const auto& d : dirs) tar.AddDirectory(d, 0755);
  for (const auto& f : files) tar.AddFile(f.path, f.content, f.executable ? 0755 : 0644);
  return tar.Finish();
}

uint64_t Pages(uint64_t bytes) {
  const auto page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  return (bytes + page - 1) / page;
}

// Makes `dir` and its parents (0755).
Status MakeDirs(const std::string& dir) {
  for (size_t at = dir.find('/', 1);; at = dir.find('/', at + 1)) {
    const std::string part = dir.substr(0, at);
    if (::mkdir(part.c_str(), 0755) < 0 && errno != EEXIST) return FailErrno("mkdir " + part);
    if (at == std::string::npos) break;
  }
  return {};
}

// `files` into `dir`, each written whole (a temporary file renamed), mode 0644.
Status WriteFiles(const std::string& dir, std::initializer_list<std::pair<const char*, std::string>> files) {
  for (const auto& [name, content] : files) {
    const std::string path = dir + "/" + name;
    const std::string tmp = path + ".tmp" + std::to_string(::getpid());
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << content;
      if (!out) return FailErrno("write " + tmp);
    }
    ::chmod(tmp.c_str(), 0644);
    if (::rename(tmp.c_str(), path.c_str()) < 0) return FailErrno("rename " + tmp);
  }
  return {};
}

void RemoveFilesDir(const std::string& dir) {
  for (const char* name : {"passwd", "group"}) ::unlink((dir + "/" + name).c_str());
  ::rmdir(dir.c_str());
}

// One job's container and /work volume; removed (force, by the platform's remover
// thread) when it goes: the job's result does not wait for the engine's clean-up.
class JobContainer {
 public:
  explicit JobContainer(DockerPlatform& platform) : platform_(platform) {}
  JobContainer(const JobContainer&) = delete;
  JobContainer& operator=(const JobContainer&) = delete;
  ~JobContainer() {
    if (!id.empty() || !volume.empty() || !files_dir.empty()) platform_.RemoveLater({id, volume, files_dir});
    if (uid != 0) platform_.ReleaseUid(uid);
  }

  std::string id;
  std::string volume;
  std::string files_dir;  // its passwd and group (the job's uid as "runner")
  uid_t uid = 0;          // the job's steps run as uid:uid
  pid_t init_pid = 0;
  // The init's pidfd: readable once the container's init (gVisor: its whole sandbox) died.
  UniqueFd init_pidfd;
  std::optional<ContainerCgroup> cgroup;

 private:
  DockerPlatform& platform_;
};

struct StepPlan {
  const runtime::JobCommand* command = nullptr;
  bool is_main = false;
  std::string stdin_data;
  int stdin_fd = -1;
  int cancel_fd = -1;
};

class StepRunner {
 public:
  // `quick`: the same engine with short timeouts, for what stands between a limit and the
  // program's end (pause, kill, the killer exec) and for calls made while a step runs.
  StepRunner(const EngineClient& engine, const EngineClient& quick, JobContainer& container,
             const DockerOptions& options, const JobCallbacks& callbacks)
      : engine_(engine), quick_(quick), container_(container), options_(options), callbacks_(callbacks) {}

  RunResult Run(const StepPlan& plan);

 private:
  // SIGKILLs every process of the step user in the container, with the container paused
  // so that nothing can fork meanwhile; waits (briefly) until they are gone.
  void KillStepProcesses();
  // The same from inside (gVisor, whose processes the host does not see): execs as the
  // step user that kill(-1, SIGKILL), which spares only the caller, until none is left.
  void KillStepProcessesInside();
  // Why the job's container is no longer running, when it is not and the program cannot
  // be the cause (removed, stopped by the engine or at the job's deadline); "" while it
  // runs, or when it was killed for memory.
  std::string ContainerGone();
  // Whether the container's init has died (under gVisor: the sandbox that ran the program,
  // killed by the host's OOM killer at the memory limit, by Stop, or with the container).
  bool InitDied() const;
  // After the init died with no stop of ours: whether the kernel's OOM killer did it (the
  // container's cgroup counts the kill at once; the engine says so seconds later).
  bool DiedOfMemory(uint64_t oom_kills_before);
  // What the OCI runtime wrote on the step's stderr when its sandbox died (runsc exec:
  // 'waiting on pid N: ... in sandbox "<container id>": ... EOF'): every line that names
  // the container, from stderr that came after the death. The rest is the program's.
  std::string WithoutRuntimeLines(std::string_view text) const;
  // The step's command; under gVisor with its own process limit (RLIMIT_NPROC, which the
  // container sets to the largest step's: prlimit lowers it for this one).
  std::vector<std::string> StepArgv(const runtime::JobCommand& cmd) const;
  void OnFrame(int stream, std::string_view payload);
  // The step's output, kept and passed on within the output limit.
  void Emit(Stream s, std::string_view payload);
  void Stop(StepKill why) {
    if (kill_ == StepKill::kNone) kill_ = why;
    if (options_.host_sees_processes) return KillStepProcesses();
    // gVisor: a program that loops kill(-1, SIGKILL) kills every killer exec'd beside it
    // as its own user; the job ends here anyway, so the engine kills the whole container
    // (after the step's CPU time is read: its cgroup goes with it).
    if (!usage_at_stop_) usage_at_stop_ = container_.cgroup->ReadUsage().value_or(ContainerUsage{});
    (void)Call(quick_, "kill the container", "POST", "/containers/" + container_.id + "/kill?signal=KILL");
  }

  const EngineClient& engine_;
  const EngineClient& quick_;
  JobContainer& container_;
  // The step's init (sandbox) died: stderr read after that is held back in held_stderr_
  // and goes through WithoutRuntimeLines at the step's end (the program writes nothing
  // after its sandbox is gone, only the runtime does).
  bool init_died_ = false;
  std::string held_stderr_;
  const DockerOptions& options_;
  const JobCallbacks& callbacks_;
  const Limits* limits_ = nullptr;
  RunResult result_;
  StepKill kill_ = StepKill::kNone;
  std::optional<ContainerUsage> usage_at_stop_;  // read before the container was killed

 public:
  uint64_t container_nproc = 0;  // the container's RLIMIT_NPROC (gVisor), 0: none

 private:
  bool over_output_ = false;
  uint64_t stdout_bytes_ = 0, stderr_bytes_ = 0;  // of this step, up to the output limit
};

void StepRunner::OnFrame(int stream, std::string_view payload) {
  const Stream s = stream == 1 ? Stream::kStdout : Stream::kStderr;
  if (init_died_ && s == Stream::kStderr) {
    if (held_stderr_.size() < (1u << 20)) held_stderr_.append(payload.substr(0, (1u << 20) - held_stderr_.size()));
    return;
  }
  Emit(s, payload);
}

void StepRunner::Emit(Stream s, std::string_view payload) {
  std::string& kept = s == Stream::kStdout ? result_.stdout_data : result_.stderr_data;
  uint64_t& seen = s == Stream::kStdout ? stdout_bytes_ : stderr_bytes_;
  bool& truncated = s == Stream::kStdout ? result_.stdout_truncated : result_.stderr_truncated;
  const uint64_t room = limits_->output_bytes > seen ? limits_->output_bytes - seen : 0;
  const std::string_view take = payload.substr(0, std::min<uint64_t>(room, payload.size()));
  if (!take.empty()) {
    seen += take.size();
    const uint64_t keep_room = kept.size() < callbacks_.keep_output_bytes ? callbacks_.keep_output_bytes - kept.size() : 0;
    kept.append(take.substr(0, std::min<uint64_t>(keep_room, take.size())));
    if (take.size() > keep_room) (s == Stream::kStdout ? result_.stdout_clipped : result_.stderr_clipped) = true;
    if (callbacks_.on_output) callbacks_.on_output(s, take);
  }
  if (take.size() < payload.size()) {
    truncated = true;
    over_output_ = true;
  }
}

std::string StepRunner::ContainerGone() {
  if (options_.host_sees_processes) {
    // The container's init, seen from the host: killed first when the container is
    // removed or stopped (the kernel then kills the rest of its pid namespace), and so
    // gone or a zombie before the engine's state says so.
    const std::string stat = ReadSmallFile("/proc/" + std::to_string(container_.init_pid) + "/stat");
    const size_t paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] == 'Z' || stat[paren + 2] == 'X') {
      return "the job's container was removed or stopped while the step ran (not by the program)";
    }
  }
  auto inspect = quick_.Request("GET", "/containers/" + container_.id + "/json");
  if (!inspect) return {};  // the engine does not answer: nothing known
  if (inspect->status == 404) return "the job's container was removed while the step ran";
  auto doc = ParseJson(inspect->body, "inspect the container");
  if (!inspect->ok() || !doc || !doc->is_object()) return {};
  const auto* state = doc->as_object().if_contains("State");
  if (!state || BoolField(*state, "Running") || BoolField(*state, "OOMKilled")) return {};
  const std::string status = StringField(*state, "Status");
  return "the job's container stopped while the step ran (" + (status.empty() ? std::string("not running") : status) +
         "; the engine stopped it, or the job's deadline passed)";
}

bool StepRunner::InitDied() const {
  if (!container_.init_pidfd) return false;
  pollfd p{container_.init_pidfd.get(), POLLIN, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

bool StepRunner::DiedOfMemory(uint64_t oom_kills_before) {
  if (auto u = container_.cgroup->ReadUsage()) return u->oom_kills > oom_kills_before;
  // The cgroup went with the container: the engine's word, once it has seen the end.
  for (int i = 0; i < 100; ++i) {
    auto inspect = quick_.Request("GET", "/containers/" + container_.id + "/json");
    if (!inspect || !inspect->ok()) return false;
    auto doc = ParseJson(inspect->body, "inspect the container");
    const json::value* state = doc && doc->is_object() ? doc->as_object().if_contains("State") : nullptr;
    if (!state) return false;
    if (!BoolField(*state, "Running")) return BoolField(*state, "OOMKilled");
    std::this_thread::sleep_for(milliseconds(50));
  }
  return false;
}

std::string StepRunner::WithoutRuntimeLines(std::string_view text) const {
  std::string out;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.find(container_.id) == std::string_view::npos) out.append(line);
    text.remove_prefix(line.size());
  }
  return out;
}

std::vector<std::string> StepRunner::StepArgv(const runtime::JobCommand& cmd) const {
  std::vector<std::string> argv;
  if (!options_.seccomp_exec.empty()) argv.push_back(kSeccompExecTarget);
  if (!options_.host_sees_processes && cmd.limits.pids < container_nproc) {
    argv.insert(argv.end(), {"prlimit", "--nproc=" + std::to_string(cmd.limits.pids), "--"});
  }
  argv.insert(argv.end(), cmd.argv.begin(), cmd.argv.end());
  return argv;
}

void StepRunner::KillStepProcessesInside() {
  const std::string user = std::to_string(container_.uid) + ":" + std::to_string(container_.uid);
  // kill -9 -1 fails (ESRCH) once nothing else of the user is left: the exec exits 0.
  const json::object exec{{"AttachStdin", false},
                          {"AttachStdout", false},
                          {"AttachStderr", false},
                          {"Tty", false},
                          {"User", user},
                          {"Env", StringArray(StepEnvironment({}))},
                          {"Cmd", json::array{"sh", "-c",
                                              "i=0; while [ $i -lt 200 ]; do kill -9 -1 2>/dev/null || exit 0; "
                                              "i=$((i+1)); done; exit 1"}}};
  for (int round = 0; round < 5; ++round) {
    auto created = Call(quick_, "create the kill exec", "POST", "/containers/" + container_.id + "/exec",
                        json::serialize(exec));
    if (!created) return;
    auto doc = ParseJson(created->body, "create the kill exec");
    if (!doc) return;
    const std::string id = StringField(*doc, "Id");
    if (!Call(quick_, "start the kill exec", "POST", "/exec/" + id + "/start", R"({"Detach":true,"Tty":false})")) return;
    for (int i = 0; i < 500; ++i) {
      auto inspect = Call(quick_, "inspect the kill exec", "GET", "/exec/" + id + "/json");
      if (!inspect) return;
      auto state = ParseJson(inspect->body, "inspect the kill exec");
      if (!state) return;
      if (!BoolField(*state, "Running")) {
        if (IntField(*state, "ExitCode", -1) == 0) return;
        break;
      }
      std::this_thread::sleep_for(milliseconds(2));
    }
  }
}

void StepRunner::KillStepProcesses() {
  if (!options_.host_sees_processes) return KillStepProcessesInside();
  if (!container_.cgroup) return;
  auto victims = [&] {
    std::vector<pid_t> out;
    for (pid_t pid : container_.cgroup->Processes()) {
      if (pid != container_.init_pid && ProcessUid(pid) == container_.uid) out.push_back(pid);
    }
    return out;
  };
  if (victims().empty()) return;
  const std::string target = "/containers/" + container_.id;
  const auto pause = quick_.Request("POST", target + "/pause");
  const bool paused = pause && pause->ok();
  for (int round = 0; round < 50; ++round) {
    const auto pids = victims();
    if (pids.empty()) break;
    for (pid_t pid : pids) ::kill(pid, SIGKILL);
    if (paused) break;  // frozen: nothing forks; the signals land when thawed
    std::this_thread::sleep_for(milliseconds(2));
  }
  if (paused) (void)quick_.Request("POST", target + "/unpause");  // still frozen if not: nothing runs
  for (int i = 0; i < 500 && !victims().empty(); ++i) std::this_thread::sleep_for(milliseconds(2));
}

RunResult StepRunner::Run(const StepPlan& plan) {
  const runtime::JobCommand& cmd = *plan.command;
  limits_ = &cmd.limits;
  result_ = {};
  kill_ = StepKill::kNone;
  usage_at_stop_.reset();
  stdout_bytes_ = stderr_bytes_ = 0;
  result_.cgroup_version = container_.cgroup ? std::string(container_.cgroup->version()) : "";
  auto internal = [&](const Error& e) {
    RunResult r = std::move(result_);
    r.status = RunStatus::kInternalError;
    r.message = e.message;
    return r;
  };
  container_.cgroup->ResetPeak();
  ContainerUsage base;
  if (auto u = container_.cgroup->ReadUsage()) base = *u;

  // 1. The exec: the step's command as the step user, in /work.
  const std::string user = std::to_string(container_.uid) + ":" + std::to_string(container_.uid);
  json::object exec{{"AttachStdin", plan.is_main},
                    {"AttachStdout", true},
                    {"AttachStderr", true},
                    {"Tty", false},
                    {"Privileged", false},
                    {"User", user},
                    {"WorkingDir", "/work"},
                    {"Env", StringArray(StepEnvironment(cmd.env))},
                    {"Cmd", StringArray(StepArgv(cmd))}};
  auto created = Call(engine_, "create the step's exec", "POST", "/containers/" + container_.id + "/exec",
                      json::serialize(exec));
  if (!created) return internal(created.error());
  auto created_doc = ParseJson(created->body, "create the step's exec");
  if (!created_doc) return internal(created_doc.error());
  const std::string exec_id = StringField(*created_doc, "Id");

  const auto start = Clock::now();
  auto stream = engine_.Hijack("POST", "/exec/" + exec_id + "/start", R"({"Detach":false,"Tty":false})");
  if (!stream) return internal(stream.error().Wrap("start the step"));
  const int fd = stream->fd.get();
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);

  // The exec's process, seen from the host: its end ends the step, as on the native
  // platform, even when something it started still holds the output open. Docker 20.10
  // reports Pid 0 (not running yet) for a moment after the start: asked again beside the
  // output until it names the process, or says it has ended already (Running false with
  // an exit code: then the step's main process is over).
  UniqueFd pidfd;
  bool pid_known = false;
  bool ended_early = false;
  auto next_pid_check = start;
  auto find_pid = [&] {
    auto inspect = Call(quick_, "inspect the step", "GET", "/exec/" + exec_id + "/json");
    if (!inspect) return;
    auto doc = ParseJson(inspect->body, "inspect the step");
    if (!doc || !doc->is_object()) return;
    const auto pid = static_cast<pid_t>(IntField(*doc, "Pid"));
    const auto* code = doc->as_object().if_contains("ExitCode");
    if (!BoolField(*doc, "Running") && code && !code->is_null()) {
      pid_known = ended_early = true;
    } else if (BoolField(*doc, "Running") && pid > 0) {
      pid_known = true;
      pidfd.Reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    }
  };

  FrameDemuxer demux([this](int s, std::string_view p) { OnFrame(s, p); });
  demux.Feed(stream->pending);
  std::string to_send = plan.is_main ? plan.stdin_data : std::string();
  bool stdin_open = plan.is_main;        // our side of the program's stdin
  bool stdin_fd_open = plan.stdin_fd >= 0;
  if (!plan.is_main) ::shutdown(fd, SHUT_WR);

  const auto wall_deadline = start + cmd.limits.wall_time;
  const double cpus = std::max(0.01, cmd.limits.cpus);
  auto next_cpu_check = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(cmd.limits.cpu_time.count() / 1000.0 / cpus));
  std::optional<Clock::time_point> exited_at, drain_deadline;
  bool eof = false;
  char buf[65536];
  while (!eof) {
    auto now = Clock::now();
    if (!pid_known && now >= next_pid_check) {
      find_pid();
      if (ended_early && !exited_at) {
        exited_at = now;
        drain_deadline = now + milliseconds(200);
      }
      // Every 5 ms at first, then every 100 ms (a step that runs long asks little).
      next_pid_check = now + (now - start < kPidSearch ? milliseconds(5) : milliseconds(100));
      now = Clock::now();
    }
    if (kill_ == StepKill::kNone && over_output_) Stop(StepKill::kOutput);
    if (kill_ == StepKill::kNone && now >= wall_deadline) Stop(StepKill::kWall);
    if (kill_ == StepKill::kNone && now >= next_cpu_check) {
      if (auto u = container_.cgroup->ReadUsage()) {
        const uint64_t used = u->cpu_ns - std::min(u->cpu_ns, base.cpu_ns);
        const uint64_t limit_ns = static_cast<uint64_t>(cmd.limits.cpu_time.count()) * 1000000;
        if (used >= limit_ns) {
          Stop(StepKill::kCpu);
        } else {
          const double left_s = static_cast<double>(limit_ns - used) / 1e9 / cpus;
          next_cpu_check = now + std::max<Clock::duration>(
                                     milliseconds(5), std::chrono::duration_cast<Clock::duration>(
                                                          std::chrono::duration<double>(left_s)));
        }
      }
    }
    if (drain_deadline && now >= *drain_deadline) {
      if (kill_ == StepKill::kNone && exited_at && !init_died_) {
        // The program ended but something it left holds the output open.
        KillStepProcesses();
        drain_deadline = now + milliseconds(2000);
        exited_at.reset();
        continue;
      }
      break;  // the engine did not end the stream: give up on what is left
    }
    if (stdin_open && to_send.empty() && !stdin_fd_open) {
      ::shutdown(fd, SHUT_WR);
      stdin_open = false;
    }

    pollfd fds[5];
    int n = 0;
    fds[n++] = {fd, static_cast<short>(POLLIN | (stdin_open && !to_send.empty() ? POLLOUT : 0)), 0};
    const int stdin_slot = stdin_open && stdin_fd_open && to_send.empty() ? n : -1;
    if (stdin_slot >= 0) fds[n++] = {plan.stdin_fd, POLLIN, 0};
    const int cancel_slot = plan.cancel_fd >= 0 && kill_ == StepKill::kNone ? n : -1;
    if (cancel_slot >= 0) fds[n++] = {plan.cancel_fd, POLLIN, 0};
    const int pid_slot = pidfd && !exited_at && !drain_deadline ? n : -1;
    if (pid_slot >= 0) fds[n++] = {pidfd.get(), POLLIN, 0};
    const int init_slot = container_.init_pidfd && !init_died_ ? n : -1;
    if (init_slot >= 0) fds[n++] = {container_.init_pidfd.get(), POLLIN, 0};

    auto until = kill_ == StepKill::kNone ? std::min(wall_deadline, next_cpu_check) : Clock::time_point::max();
    if (drain_deadline) until = std::min(until, *drain_deadline);
    if (!pid_known) until = std::min(until, next_pid_check);
    const auto wait = std::chrono::duration_cast<milliseconds>(until - Clock::now()).count() + 1;
    const int timeout = until == Clock::time_point::max() ? 1000 : static_cast<int>(std::clamp<int64_t>(wait, 0, 1000));
    if (::poll(fds, static_cast<nfds_t>(n), timeout) < 0 && errno != EINTR) return internal(Error{"poll", errno});

    if (init_slot >= 0 && (fds[init_slot].revents & POLLIN)) {
      // The container's init is gone (gVisor: the sandbox, and the program with it): the
      // step is over now, whatever the engine says (it notices seconds later, and may
      // never end the exec's stream). What is already on its way is read for a moment.
      init_died_ = true;
      const auto now = Clock::now();
      if (!exited_at) exited_at = now;
      drain_deadline = std::min(drain_deadline.value_or(Clock::time_point::max()), now + milliseconds(100));
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      for (;;) {
        const ssize_t got = ::read(fd, buf, sizeof buf);
        if (got > 0) {
          // Read while the init lived: the program's. Read after: held back and filtered.
          if (!init_died_ && InitDied()) init_died_ = true;
          demux.Feed(std::string_view(buf, static_cast<size_t>(got)));
          continue;
        }
        if (got == 0 || (errno != EAGAIN && errno != EINTR)) eof = true;
        break;
      }
    }
    if (stdin_open && !to_send.empty() && (fds[0].revents & POLLOUT)) {
      const ssize_t sent = ::send(fd, to_send.data(), to_send.size(), MSG_NOSIGNAL);
      if (sent > 0) {
        to_send.erase(0, static_cast<size_t>(sent));
      } else if (sent < 0 && errno != EAGAIN && errno != EINTR) {
        to_send.clear();  // the program closed its stdin; the rest has nowhere to go
        stdin_fd_open = false;
      }
    }
    if (stdin_slot >= 0 && (fds[stdin_slot].revents & (POLLIN | POLLHUP | POLLERR))) {
      const ssize_t got = ::read(plan.stdin_fd, buf, sizeof buf);
      if (got > 0) {
        to_send.assign(buf, static_cast<size_t>(got));
      } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
        stdin_fd_open = false;
      }
    }
    if (cancel_slot >= 0 && (fds[cancel_slot].revents & (POLLIN | POLLHUP | POLLERR))) Stop(StepKill::kCancel);
    if (pid_slot >= 0 && (fds[pid_slot].revents & POLLIN)) {
      exited_at = Clock::now();
      drain_deadline = *exited_at + milliseconds(200);
    }
    if (kill_ != StepKill::kNone && !drain_deadline) drain_deadline = Clock::now() + milliseconds(2000);
  }
  const auto end = exited_at.value_or(Clock::now());
  stream->fd.Reset();
  if (!init_died_ && InitDied()) init_died_ = true;
  if (init_died_) {
    // Under gVisor the runtime's complaint about its lost sandbox, never the program's.
    if (const std::string held = WithoutRuntimeLines(held_stderr_); !held.empty()) Emit(Stream::kStderr, held);
  } else {
    KillStepProcesses();  // whatever the step left running (daemons, a build's servers)
  }
  if (init_died_ && kill_ == StepKill::kNone) {
    // The container ended under the step: its memory limit (gVisor's sandbox holds the
    // program's memory, and the host's OOM killer takes it whole), or not the program.
    RunResult r = std::move(result_);
    r.wall_time_ms = std::chrono::duration_cast<milliseconds>(end - start).count();
    auto usage = container_.cgroup->ReadUsage();
    if (DiedOfMemory(base.oom_kills)) {
      if (usage) r.cpu_time_ms = static_cast<int64_t>((usage->cpu_ns - std::min(usage->cpu_ns, base.cpu_ns)) / 1000000);
      r.signal = SIGKILL;
      // It reached the limit (what the cgroup saw includes the runtime's own memory).
      r.memory_peak_bytes = usage && usage->memory_peak_bytes ? std::min(usage->memory_peak_bytes, cmd.limits.memory_bytes)
                                                              : cmd.limits.memory_bytes;
      ClassifyStep(r, cmd.limits, StepKill::kMemory, 1, 0);
      return r;
    }
    const std::string gone = ContainerGone();
    r.status = RunStatus::kInternalError;
    r.message = gone.empty() ? "the job's container ended while the step ran (not by the program)" : gone;
    return r;
  }

  // 2. How it ended: the engine knows the exit code once it has reaped the process.
  int64_t exit_code = -1;
  // (Not when the container's init died under a stop of ours: gVisor's exec went with it.)
  for (int attempt = 0; !init_died_ && attempt < 400; ++attempt) {
    auto inspect = Call(engine_, "inspect the step", "GET", "/exec/" + exec_id + "/json");
    if (!inspect && inspect.error().kind == ErrorKind::kNotFound) {
      if (kill_ != StepKill::kNone) break;  // stopped with its container (gVisor): killed
      if (const std::string gone = ContainerGone(); !gone.empty()) return internal(Error{gone});
    }
    if (!inspect) return internal(inspect.error());
    auto doc = ParseJson(inspect->body, "inspect the step");
    if (!doc) return internal(doc.error());
    if (!BoolField(*doc, "Running")) {
      exit_code = IntField(*doc, "ExitCode", -1);
      break;
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
  RunResult r = std::move(result_);
  r.wall_time_ms = std::chrono::duration_cast<milliseconds>(end - start).count();
  ContainerUsage delta;
  if (auto u = usage_at_stop_ ? Result<ContainerUsage>(*usage_at_stop_) : container_.cgroup->ReadUsage()) {
    r.cpu_time_ms = static_cast<int64_t>((u->cpu_ns - std::min(u->cpu_ns, base.cpu_ns)) / 1000000);
    r.memory_peak_bytes = u->memory_peak_bytes;
    delta.oom_kills = u->oom_kills - std::min(u->oom_kills, base.oom_kills);
    delta.memory_hits = u->memory_hits - std::min(u->memory_hits, base.memory_hits);
  }
  if (kill_ == StepKill::kNone && (exit_code < 0 || exit_code > 128)) {
    // A death by signal the platform did not send: the program's own, unless its container
    // went away under it.
    if (const std::string gone = ContainerGone(); !gone.empty()) {
      r.status = RunStatus::kInternalError;
      r.message = gone;
      return r;
    }
  }
  if (exit_code < 0) {
    if (kill_ == StepKill::kNone) {
      r.status = RunStatus::kInternalError;
      r.message = "the engine did not report how the step ended";
      return r;
    }
    r.signal = SIGKILL;
  } else if (exit_code > 128 && exit_code <= 128 + 64) {
    // The engine reports a death by signal N as 128+N (as a shell does).
    r.signal = static_cast<int>(exit_code - 128);
  } else {
    r.exit_code = static_cast<int>(exit_code);
  }
  ClassifyStep(r, cmd.limits, kill_, delta.oom_kills, delta.memory_hits);
  return r;
}

// `runtime_pids`: the OCI runtime's own threads in the container's cgroup (gVisor's);
// `pids_factor`: host tasks per process of the program (gVisor's ptrace stubs).
json::object ResourcesJson(const Limits& limits, int64_t runtime_pids, int64_t pids_factor) {
  const auto memory = static_cast<int64_t>(limits.memory_bytes);
  return json::object{{"Memory", memory},
                      {"MemorySwap", memory},
                      {"PidsLimit", static_cast<int64_t>(limits.pids) * pids_factor + 2 + runtime_pids},  // + the init and its sleep
                      {"NanoCpus", static_cast<int64_t>(std::llround(limits.cpus * 1e9))}};
}

}  // namespace

DockerOptions GvisorOptions() {
  DockerOptions options;
  options.name = "gvisor";
  options.state_dir = "/run/runlet/gvisor";
  options.oci_runtime = "runsc";
  options.host_sees_processes = false;
  options.seccomp_exec = DefaultSeccompExec();
  // runsc's sentry and gofer are Go programs: their threads count in the pids cgroup,
  // and so do the ptrace stubs of the program's processes (limited by RLIMIT_NPROC).
  options.runtime_pids = 256;
  options.pids_factor = 4;
  return options;
}

DockerOptions PodmanOptions() {
  DockerOptions options;
  options.name = "podman";
  options.socket = "/run/podman/podman.sock";
  options.state_dir = "/run/runlet/podman";
  // Podman sets RLIMIT_NPROC to the host's maximum when a request names ulimits, which
  // its runc may not be allowed to raise to: an explicit one (per uid; the pids cgroup is
  // the per-run limit).
  options.extra_ulimits = {{"nproc", 4096}};
  options.tmpfs_inode_limit = false;
  options.seccomp_profile_as_path = true;
  options.sealed_dirs = {"/run", "/var/tmp"};
  return options;
}

std::string DefaultSeccompExec() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) {
    std::string beside(buf, static_cast<size_t>(n));
    beside = beside.substr(0, beside.rfind('/')) + "/runlet-seccomp-exec";
    if (::access(beside.c_str(), X_OK) == 0) return beside;
  }
  return RUNLET_SECCOMP_EXEC;
}

std::string OwnerLabel() {
  const pid_t pid = ::getpid();
  return BootId() + "/" + std::to_string(pid) + "/" + std::to_string(StartTime(pid));
}

bool OwnerAlive(const std::string& label) {
  const size_t a = label.find('/'), b = label.rfind('/');
  if (a == std::string::npos || a == b) return false;
  if (label.substr(0, a) != BootId()) return false;
  const auto pid = static_cast<pid_t>(std::strtol(label.c_str() + a + 1, nullptr, 10));
  if (pid <= 0) return false;
  const uint64_t start = std::strtoull(label.c_str() + b + 1, nullptr, 10);
  const uint64_t now = StartTime(pid);
  return now != 0 && now == start;
}

const std::string& HostLabel() {
  static const std::string identity = [] {
    std::ifstream in("/etc/machine-id");
    std::string id;
    if (in >> id && !id.empty()) return id;
    char name[256] = {};
    ::gethostname(name, sizeof name - 1);
    return std::string(name);
  }();
  return identity;
}

bool LeftBehind(const std::string& owner, const std::string& host) {
  if (owner.empty() || (!host.empty() && host != HostLabel())) return false;
  return !OwnerAlive(owner);
}

DockerPlatform::DockerPlatform(const DockerOptions& options, const image::ImageStore& images)
    : options_(options),
      images_(images),
      engine_(options.socket, options.api_version, options.timeouts),
      probe_(options.socket, options.api_version, options.health_timeouts),
      quick_(options.socket, options.api_version, options.kill_timeouts),
      owner_(OwnerLabel()),
      removals_([this](Removal& r) {
        // The volume and the identity files go after the container that uses them.
        if (!r.container.empty()) (void)engine_.Request("DELETE", "/containers/" + r.container + "?force=1&v=1");
        if (!r.volume.empty()) (void)engine_.Request("DELETE", "/volumes/" + r.volume + "?force=1");
        if (!r.files_dir.empty()) RemoveFilesDir(r.files_dir);
      }) {}

DockerPlatform::~DockerPlatform() = default;

void DockerPlatform::RemoveLater(Removal removal) { removals_.Push(std::move(removal)); }

uid_t DockerPlatform::TakeUid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard lock(uids_mu_);
  for (;;) {
    const auto uid = static_cast<uid_t>(options_.uid_base + rng() % options_.uid_count);
    if (uids_in_use_.insert(uid).second) return uid;
  }
}

void DockerPlatform::ReleaseUid(uid_t uid) {
  std::lock_guard lock(uids_mu_);
  uids_in_use_.erase(uid);
}

void DockerPlatform::WaitForRemovals() { removals_.Wait(); }

Result<std::unique_ptr<DockerPlatform>> DockerPlatform::Create(const DockerOptions& options,
                                                               const image::ImageStore& images) {
  std::unique_ptr<DockerPlatform> platform(new DockerPlatform(options, images));
  // The first word with the short timeouts of a health check: an engine that hangs fails
  // the platform's start in seconds (a server starting it on first use, an admin's PUT).
  auto ping = platform->probe_.Request("GET", "/_ping");
  if (!ping) return tl::unexpected(ping.error().Wrap(options.name + " platform"));
  if (!ping->ok()) return tl::unexpected(EngineError(options.name + " platform: ping the engine", *ping));
  if (!options.seccomp_exec.empty() && ::access(options.seccomp_exec.c_str(), X_OK) != 0) {
    return Fail(options.name + " platform: no step wrapper at \"" + options.seccomp_exec +
                "\" (runlet-seccomp-exec is built beside runlet)");
  }
  if (auto s = platform->WriteIdentityFiles(); !s) return tl::unexpected(s.error().Wrap(options.name + " platform"));
  if (auto s = platform->RemoveLeftovers(); !s) return tl::unexpected(s.error().Wrap(options.name + " platform"));
  if (!options.oci_runtime.empty()) {
    // The runtime must be registered with the engine, or every run would fail.
    auto info = Call(platform->engine_, options.name + " platform: engine info", "GET", "/info");
    if (!info) return tl::unexpected(info.error());
    auto doc = ParseJson(info->body, "engine info");
    if (!doc) return tl::unexpected(doc.error());
    const auto* runtimes = doc->is_object() ? doc->as_object().if_contains("Runtimes") : nullptr;
    if (!runtimes || !runtimes->is_object() || !runtimes->as_object().contains(options.oci_runtime)) {
      return Fail(options.name + " platform: the engine at " + options.socket + " has no OCI runtime \"" +
                  options.oci_runtime + "\" (scripts/start-docker registers runsc when it starts dockerd)");
    }
  }
  platform->removals_.Start();
  return platform;
}

Status DockerPlatform::WriteIdentityFiles() {
  if (auto s = MakeDirs(options_.state_dir + "/jobs"); !s) return s;
  return WriteFiles(options_.state_dir, {{"empty", ""}, {"seccomp.json", SeccompProfileJson()}});
}

Result<std::string> DockerPlatform::WriteJobIdentity(const std::string& name, uid_t uid) {
  const std::string dir = options_.state_dir + "/jobs/" + name;
  if (::mkdir(dir.c_str(), 0755) < 0) return FailErrno("mkdir " + dir);
  const std::string id = std::to_string(uid);
  const std::string keeper = std::to_string(options_.keeper_uid);
  auto written = WriteFiles(
      dir, {{"passwd", "root:x:0:0:root:/root:/usr/sbin/nologin\nrunner:x:" + id + ":" + id +
                           ":runner:/tmp:/bin/sh\nnobody:x:" + keeper + ":" + keeper +
                           ":nobody:/nonexistent:/usr/sbin/nologin\n"},
            {"group", "root:x:0:\nrunner:x:" + id + ":\nnogroup:x:" + keeper + ":\n"}});
  if (!written) {
    RemoveFilesDir(dir);
    return tl::unexpected(written.error());
  }
  return dir;
}

Status DockerPlatform::RemoveLeftovers() {
  const std::string filter = UrlEncode(R"({"label":["runlet.managed=1"]})");
  auto containers = Call(engine_, "list containers", "GET", "/containers/json?all=1&filters=" + filter);
  if (!containers) return tl::unexpected(containers.error());
  auto doc = ParseJson(containers->body, "list containers");
  if (!doc) return tl::unexpected(doc.error());
  if (doc->is_array()) {
    for (const auto& c : doc->as_array()) {
      const json::value* labels = c.as_object().if_contains("Labels");
      if (!labels || !LeftBehind(StringField(*labels, kOwnerLabel), StringField(*labels, kHostLabel))) continue;
      (void)engine_.Request("DELETE", "/containers/" + StringField(c, "Id") + "?force=1&v=1");
      if (const auto* names = c.as_object().if_contains("Names"); names && names->is_array()) {
        for (const auto& n : names->as_array()) {
          const std::string job = n.is_string() ? std::string(n.as_string()) : std::string();
          if (job.rfind("/runlet-", 0) == 0) RemoveFilesDir(options_.state_dir + "/jobs" + job);
        }
      }
    }
  }
  auto volumes = Call(engine_, "list volumes", "GET", "/volumes?filters=" + filter);
  if (!volumes) return tl::unexpected(volumes.error());
  auto vdoc = ParseJson(volumes->body, "list volumes");
  if (!vdoc) return tl::unexpected(vdoc.error());
  if (const auto* list = vdoc->is_object() ? vdoc->as_object().if_contains("Volumes") : nullptr;
      list && list->is_array()) {
    for (const auto& v : list->as_array()) {
      const json::value* labels = v.as_object().if_contains("Labels");
      if (!labels || !LeftBehind(StringField(*labels, kOwnerLabel), StringField(*labels, kHostLabel))) continue;
      (void)engine_.Request("DELETE", "/volumes/" + StringField(v, "Name") + "?force=1");
    }
  }
  return {};
}

Status DockerPlatform::AddHostViewEntries(TarWriter& base, std::vector<std::string>& binds) const {
  auto entries = sandbox::PlanHostEntries(options_.host_paths);
  if (!entries) return tl::unexpected(entries.error());
  // /usr/local lies inside the bound /usr: a host directory of its shown entries' mount
  // points is bound over it (made again each time; another runlet's extra mount points
  // in it stay empty).
  const std::string local = options_.state_dir + "/usr-local";
  if (auto s = MakeDirs(local); !s) return s;
  binds.push_back(local + ":/usr/local:ro");
  std::set<std::string> made{"etc"};
  for (const auto& entry : *entries) {
    const bool etc = entry.path.rfind("etc/", 0) == 0;
    const std::string own = etc ? entry.path : local + "/" + entry.path.substr(std::string("usr/local/").size());
    for (size_t slash = entry.path.find('/'); slash != std::string::npos; slash = entry.path.find('/', slash + 1)) {
      const std::string parent = entry.path.substr(0, slash);
      if (!made.insert(parent).second || parent == "usr" || parent == "usr/local") continue;
      if (etc) {
        base.AddDirectory(parent, 0755);
      } else if (auto s = MakeDirs(local + parent.substr(std::string("usr/local").size())); !s) {
        return s;
      }
    }
    made.insert(entry.path);
    if (entry.kind == sandbox::HostEntry::kSymlink) {
      if (etc) {
        base.AddSymlink(entry.path, entry.target);
      } else if (::symlink(entry.target.c_str(), own.c_str()) < 0 && errno != EEXIST) {
        return FailErrno("symlink " + own);
      }
      continue;
    }
    const bool dir = entry.kind == sandbox::HostEntry::kDirectory;
    if (etc) {
      dir ? base.AddDirectory(entry.path, 0755) : base.AddFile(entry.path, "", 0644);
    } else if (dir) {
      if (::mkdir(own.c_str(), 0755) < 0 && errno != EEXIST) return FailErrno("mkdir " + own);
    } else {
      UniqueFd point(::open(own.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
      if (!point) return FailErrno("create " + own);
    }
    binds.push_back("/" + entry.path + ":/" + entry.path + ":ro");
  }
  return {};
}

Result<EngineImage> DockerPlatform::EnsureImage(const std::string& name) {
  auto info = images_.Resolve(name);
  if (!info) return tl::unexpected(info.error());
  const bool host = info->digest.empty();
  EngineImage out;
  std::string tar;  // the host image's content; store images are exported to a file
  if (host) {
    // The host's own toolchains, as the native sandbox shows them (sandbox/host_view.h):
    // a base image of mount points and the host's merged-/usr symlinks, with /usr (and
    // the other top-level directories of the view) bound read-only, an /etc of only the
    // listed entries, each bound, and an empty /usr/local. /sbin is a directory of its own
    // even where the host links it to usr/sbin: the engine mounts its init at
    // /sbin/docker-init, which cannot be created inside the read-only /usr (PATH still
    // has /usr/sbin). The engine writes its own /etc/hosts, hostname and resolv.conf.
    TarWriter base(0, 0, 0);
    for (const char* d : {"proc", "dev", "sys", "work", "sbin", "etc"}) base.AddDirectory(d, 0755);
    base.AddDirectory("tmp", 01777);
    for (const char* f : {"etc/passwd", "etc/group"}) base.AddFile(f, "", 0644);  // the job's, bound
    for (const char* entry : sandbox::kHostTopLevel) {
      const std::string source = std::string("/") + entry;
      struct stat st {};
      if (::lstat(source.c_str(), &st) < 0) continue;
      if (S_ISLNK(st.st_mode) && std::string_view(entry) != "sbin") {
        char target[4096];
        const ssize_t n = ::readlink(source.c_str(), target, sizeof target - 1);
        if (n < 0) return FailErrno("readlink " + source);
        base.AddSymlink(entry, std::string_view(target, static_cast<size_t>(n)));
      } else if (S_ISDIR(st.st_mode)) {
        if (std::string_view(entry) != "sbin") base.AddDirectory(entry, 0755);
        out.binds.push_back(source + ":" + source + ":ro");
      }
    }
    if (auto s = AddHostViewEntries(base, out.binds); !s) return tl::unexpected(s.error());
    tar = base.Finish();
    image::Sha256 sha;
    sha.Update(tar);
    const std::string digest = sha.HexDigest();
    out.ref = "runlet/host:" + digest.substr(0, 16);
  } else {
    const std::string hex = info->digest.substr(info->digest.find(':') + 1);
    out.ref = "runlet/" + info->name + ":" + hex.substr(0, 64);
  }
  // The runner's own passwd and group, and no shadow files, as on the native platform.
  UniqueFd root(::open(host ? "/" : info->rootfs.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root) return FailErrno("open image " + name + " at " + (host ? std::string("/") : info->rootfs));
  for (const char* file : {"passwd", "group"}) {
    if (RegularFileBeneath(root.get(), std::string("etc/") + file)) {
      out.binds.push_back(options_.state_dir + "/" + file + ":/etc/" + file + ":ro");
    }
  }
  for (const char* mask : kMasks) {
    if (!host && RegularFileBeneath(root.get(), mask + 1)) out.binds.push_back(options_.state_dir + "/empty:" + mask + ":ro");
  }

  std::lock_guard lock(images_mu_);
  if (known_refs_.count(out.ref)) return out;
  auto have = engine_.Request("GET", "/images/" + out.ref + "/json");
  if (!have) return tl::unexpected(have.error().Wrap("look up image " + out.ref));
  if (have->ok()) {
    known_refs_.insert(out.ref);
    return out;
  }
  // The tag goes in `repo` (Docker allows it there; Podman 4.3 ignores a separate `tag`).
  const std::string target = "/images/create?fromSrc=-&repo=" + UrlEncode(out.ref) +
                             "&changes=" + UrlEncode(std::string("LABEL runlet.image=") + info->name);
  Result<EngineResponse> imported;
  if (host) {
    imported = engine_.Request("POST", target, tar, "application/x-tar");
  } else {
    // The very tree the native sandbox runs, exported next to the store (it can be big).
    const std::string file = images_.data_dir() + "/images/tmp/docker-export-" + RandomName("") + ".tar";
    ::mkdir((images_.data_dir() + "/images/tmp").c_str(), 0700);
    auto exported = image::ExportRootfs(info->rootfs, file);
    if (!exported) {
      ::unlink(file.c_str());
      return tl::unexpected(exported.error().Wrap("export image " + name + " for the engine"));
    }
    imported = engine_.RequestWithFileBody("POST", target, file, "application/x-tar");
    ::unlink(file.c_str());
  }
  if (!imported) return tl::unexpected(imported.error().Wrap("import image " + name + " into the engine"));
  // The engine answers 200 with a progress stream; an error is a line with "error".
  if (!imported->ok() || imported->body.find("\"error") != std::string::npos) {
    return tl::unexpected(EngineError("import image " + name + " into the engine", *imported));
  }
  auto tagged = engine_.Request("GET", "/images/" + out.ref + "/json");
  if (!tagged || !tagged->ok()) return Fail("import image " + name + ": the engine has no " + out.ref + " afterwards");
  known_refs_.insert(out.ref);
  return out;
}

void DockerPlatform::ForgetImage(const std::string& ref) {
  std::lock_guard lock(images_mu_);
  known_refs_.erase(ref);
}

Result<JobResult> DockerPlatform::Run(const runtime::Job& job, const JobCallbacks& callbacks, int cancel_fd) {
  if (job.run.argv.empty()) return Fail(ErrorKind::kInvalid, "the job has no run command");
  if (job.run.limits.network) return Fail(ErrorKind::kInvalid, "network access is not supported");
  auto image = EnsureImage(job.image);
  if (!image) return tl::unexpected(image.error());

  JobResult out;
  const bool has_build = job.build.has_value();
  const Limits& first = has_build ? job.build->limits : job.run.limits;
  const Limits& disk = job.run.limits;  // the shared file systems are sized by the run's limits
  auto fail_internal = [&](const Error& e) {
    out.run.status = RunStatus::kInternalError;
    out.run.message = e.message;
    return out;
  };

  // 1. The /work volume: a tmpfs of the run's disk size, owned by the step user. The size
  // is given in pages (nr_blocks): Podman 4.3 takes "size=" for a quota request and refuses.
  JobContainer container(*this);
  container.uid = TakeUid();
  const json::object labels{{kManagedLabel, "1"}, {kOwnerLabel, owner_}, {kHostLabel, HostLabel()}};
  const std::string uid = std::to_string(container.uid);
  const std::string name = RandomName("runlet-");
  auto files_dir = WriteJobIdentity(name, container.uid);
  if (!files_dir) return fail_internal(files_dir.error().Wrap("the job's passwd and group"));
  container.files_dir = *files_dir;
  for (auto& bind : image->binds) {  // the job's own passwd and group
    for (const char* file : {"passwd", "group"}) {
      if (bind == options_.state_dir + "/" + file + ":/etc/" + file + ":ro") {
        bind = container.files_dir + "/" + file + ":/etc/" + file + ":ro";
      }
    }
  }
  const std::string volume = RandomName("runlet-work-");
  json::object volume_spec{
      {"Name", volume},
      {"Driver", "local"},
      {"DriverOpts", json::object{{"type", "tmpfs"},
                                  {"device", "tmpfs"},
                                  {"o", "nr_blocks=" + std::to_string(Pages(disk.disk_bytes)) + ",nr_inodes=" +
                                            std::to_string(disk.disk_inodes) + ",uid=" + uid + ",gid=" + uid +
                                            ",mode=0755,nosuid,nodev"}}},
      {"Labels", labels}};
  if (auto v = Call(engine_, "create the work volume", "POST", "/volumes/create", json::serialize(volume_spec)); !v) {
    return fail_internal(v.error());
  }
  container.volume = volume;

  // 2. The container: the job's limits, nothing to reach, nothing to gain.
  // The container's keeper lives until the job's deadline (every step's wall limit, and
  // kKeeperGrace for the engine's work between them): then the container's init exits and
  // the engine kills whatever is left, whether or not a server is still there to do it.
  int64_t keep_alive_ms = kKeeperGrace.count();
  for (const auto* c : {has_build ? &*job.build : nullptr, &job.run}) {
    if (c) keep_alive_ms += c->limits.wall_time.count();
  }
  const int64_t keep_alive_s = (keep_alive_ms + 999) / 1000;
  json::array ulimits;
  auto ulimit = [&](const std::string& name, uint64_t value) {
    const auto v = static_cast<int64_t>(std::min<uint64_t>(value, INT64_MAX));
    ulimits.push_back(json::object{{"Name", name}, {"Soft", v}, {"Hard", v}});
  };
  ulimit("nofile", disk.open_files);
  ulimit("fsize", disk.file_size_bytes ? disk.file_size_bytes : disk.disk_bytes);
  ulimit("stack", disk.stack_bytes);
  ulimit("core", 0);
  for (const auto& [name, value] : options_.extra_ulimits) ulimit(name, value);
  const uint64_t nproc = std::max(first.pids, job.run.limits.pids);
  if (!options_.host_sees_processes) {
    // The program's processes are the OCI runtime's own tasks, outside the pids cgroup's
    // view: the kernel inside counts them per uid.
    ulimit("nproc", nproc);
  }
  json::object host_config = ResourcesJson(first, options_.runtime_pids, options_.pids_factor);
  if (!options_.oci_runtime.empty()) host_config["Runtime"] = options_.oci_runtime;
  host_config["Init"] = true;
  host_config["NetworkMode"] = "none";
  host_config["ReadonlyRootfs"] = true;
  if (!options_.seccomp_exec.empty()) image->binds.push_back(options_.seccomp_exec + ":" + kSeccompExecTarget + ":ro");
  host_config["Binds"] = StringArray(image->binds);
  std::string tmp_options = "rw,exec,nosuid,nodev,size=" + std::to_string(disk.disk_bytes) + ",mode=1777";
  if (options_.tmpfs_inode_limit) tmp_options += ",nr_inodes=" + std::to_string(disk.disk_inodes);
  json::object tmpfs{{"/tmp", tmp_options}};
  for (const auto& dir : options_.sealed_dirs) tmpfs[dir] = "ro,noexec,nosuid,nodev,size=4k,mode=0755";
  host_config["Tmpfs"] = std::move(tmpfs);
  host_config["Mounts"] = json::array{json::object{{"Type", "volume"}, {"Source", volume}, {"Target", "/work"}}};
  host_config["CapDrop"] = json::array{"ALL"};
  host_config["SecurityOpt"] =
      json::array{"no-new-privileges", "seccomp=" + (options_.seccomp_profile_as_path ? options_.state_dir + "/seccomp.json"
                                                                                      : SeccompProfileJson())};
  host_config["Ulimits"] = std::move(ulimits);
  host_config["ShmSize"] = static_cast<int64_t>(disk.disk_bytes);
  host_config["LogConfig"] = json::object{{"Type", "none"}, {"Config", json::object{}}};
  const std::string keeper = std::to_string(options_.keeper_uid);
  json::object spec{{"Image", image->ref},
                    {"Cmd", json::array{"sleep", std::to_string(keep_alive_s)}},
                    {"User", keeper + ":" + keeper},
                    {"WorkingDir", "/work"},
                    {"Hostname", "runlet"},
                    {"NetworkDisabled", true},
                    {"Labels", labels},
                    {"HostConfig", std::move(host_config)}};
  auto created = Call(engine_, "create the container", "POST", "/containers/create?name=" + name, json::serialize(spec));
  if (!created && created.error().kind == ErrorKind::kNotFound &&
      created.error().message.find("image") != std::string::npos) {
    // The engine lost the image since it was seen (pruned, say): imported again.
    ForgetImage(image->ref);
    if (auto again = EnsureImage(job.image); !again) return fail_internal(again.error());
    created = Call(engine_, "create the container", "POST", "/containers/create?name=" + name, json::serialize(spec));
  }
  if (!created) return fail_internal(created.error());
  auto created_doc = ParseJson(created->body, "create the container");
  if (!created_doc) return fail_internal(created_doc.error());
  container.id = StringField(*created_doc, "Id");
  if (auto s = Call(engine_, "start the container", "POST", "/containers/" + container.id + "/start"); !s) {
    return fail_internal(s.error());
  }
  auto inspect = Call(engine_, "inspect the container", "GET", "/containers/" + container.id + "/json");
  if (!inspect) return fail_internal(inspect.error());
  auto inspect_doc = ParseJson(inspect->body, "inspect the container");
  if (!inspect_doc) return fail_internal(inspect_doc.error());
  if (const auto* state = inspect_doc->as_object().if_contains("State")) {
    container.init_pid = static_cast<pid_t>(IntField(*state, "Pid"));
  }
  if (container.init_pid <= 0) return fail_internal(Error{"the container is not running after its start"});
  container.init_pidfd.Reset(static_cast<int>(::syscall(SYS_pidfd_open, container.init_pid, 0)));
  auto cgroup = ContainerCgroup::ForPid(container.init_pid);
  if (!cgroup) return fail_internal(cgroup.error());
  container.cgroup = std::move(*cgroup);

  // 3. The files, as a tar into the /work volume.
  auto put = engine_.Request("PUT", "/containers/" + container.id + "/archive?path=%2Fwork",
                             FilesArchive(job.files, container.uid), "application/x-tar");
  if (!put) return fail_internal(put.error().Wrap("copy the files in"));
  if (!put->ok()) {
    const Error e = EngineError("copy the files in", *put);
    if (e.message.find("no space left") != std::string::npos) {
      out.run.status = RunStatus::kRuntimeError;
      out.run.message = "the files do not fit in the work directory (" + FormatSize(disk.disk_bytes) + ")";
      return out;
    }
    return fail_internal(e);
  }

  // 4. The steps.
  StepRunner runner(engine_, quick_, container, options_, callbacks);
  if (!options_.host_sees_processes) runner.container_nproc = nproc;
  if (has_build) {
    if (callbacks.on_status) callbacks.on_status(RunStatus::kBuilding);
    StepPlan plan{&*job.build, false, {}, -1, cancel_fd};
    out.build = runner.Run(plan);
    runtime::ClassifyMemoryErrors(job, *out.build);
    if (out.build->status != RunStatus::kOk) {
      out.run = BuildFailure(*out.build);
      return out;
    }
    const Limits& run = job.run.limits;
    if (run.memory_bytes != first.memory_bytes || run.pids != first.pids || run.cpus != first.cpus) {
      // runsc has no update command: its container's cgroup is set directly, as the
      // engine would (so is Podman's, below, whose compat API has no update endpoint).
      auto u = options_.oci_runtime == "runsc"
                   ? Result<EngineResponse>(EngineResponse{404, "runsc cannot update"})
                   : engine_.Request("POST", "/containers/" + container.id + "/update",
                                     json::serialize(ResourcesJson(run, options_.runtime_pids, options_.pids_factor)));
      if (!u) return fail_internal(u.error().Wrap("apply the run's limits"));
      if (u->status == 404 && !u->body.empty() && u->body.find("No such container") == std::string::npos) {
        // The engine has no update endpoint (Podman 4.3): set the cgroup as the engine would.
        const uint64_t pids = run.pids * static_cast<uint64_t>(options_.pids_factor) + 2 + static_cast<uint64_t>(options_.runtime_pids);
        if (auto s = container.cgroup->Apply(run.memory_bytes, pids, run.cpus); !s) {
          return fail_internal(s.error().Wrap("apply the run's limits"));
        }
      } else if (!u->ok()) {
        return fail_internal(EngineError("apply the run's limits", *u));
      }
    }
  }
  if (callbacks.on_status) callbacks.on_status(RunStatus::kRunning);
  StepPlan plan{&job.run, true, job.stdin_data, callbacks.stdin_fd, cancel_fd};
  out.run = runner.Run(plan);
  runtime::ClassifyMemoryErrors(job, out.run);
  return out;
}

Health CheckEngine(const EngineClient& probe, std::string_view name) {
  const std::string engine = std::string(name) + " engine";
  auto version = probe.Request("GET", "/version");
  if (!version && version.error().sys_errno == ETIMEDOUT) {
    return {false, engine + " did not answer in time: " + version.error().message};
  }
  if (!version) return {false, engine + ": " + version.error().message};
  if (!version->ok()) return {false, EngineError(engine + " version", *version).message};
  auto doc = ParseJson(version->body, "engine version");
  if (!doc) return {false, engine + ": " + doc.error().message};
  return {true, engine + " " + StringField(*doc, "Version") + " (API " + StringField(*doc, "ApiVersion") + ") at " +
                    probe.socket_path()};
}

Health DockerPlatform::Check() { return CheckEngine(probe_, options_.name); }

}  // namespace runlet::platform::docker
