#include "workspaces/workspace_manager.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <cstring>
#include <random>

#include "core/hex.h"
#include "core/log.h"
#include "core/unique_fd.h"
#include "workspaces/agent_protocol.h"

namespace runlet::workspaces {

namespace p = protocol;
using p::Type;

namespace {

constexpr size_t kReplayBytes = 64u << 10;
constexpr size_t kMaxQueuedToAgent = 8u << 20;

std::string NewId() {
  std::random_device rd;
  std::string raw(12, '\0');
  for (auto& c : raw) c = static_cast<char>(rd());
  return HexEncode(raw);
}

Error MakeError(ErrorKind kind, std::string message) { return Error{std::move(message), 0, kind}; }

Error Gone() { return MakeError(ErrorKind::kConflict, "the workspace has stopped"); }

}  // namespace

// One shell: its recent output (for a reconnecting client) and the client attached now.
struct WorkspaceManager::TerminalState {
  std::string id;
  uint32_t channel = 0;
  std::string ring;  // the last kReplayBytes of output
  std::optional<int> exit_code;
  class View* view = nullptr;  // guarded by Workspace::mu
};

struct WorkspaceManager::Workspace : std::enable_shared_from_this<Workspace> {
  Info info;  // guarded by the manager's mu_
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> to_agent;
  size_t to_agent_bytes = 0;
  bool closed = false;  // the sandbox has ended
  bool ready = false;
  uint32_t next_channel = 1;
  std::map<uint32_t, std::function<void(const p::Frame*)>> waiting;  // nullptr: the workspace ended
  std::map<uint32_t, std::shared_ptr<TerminalState>> terminals;
  std::map<uint32_t, std::function<void(std::string_view)>> connections;
  std::function<void(Result<Info>)> on_ready;
  p::Parser parser;
  UniqueFd control_read, control_write, cancel_read, cancel_write;
  std::thread runner, writer;
  bool cancelled = false;

  // Queues a frame for the agent; false when the workspace has ended or is flooded.
  bool Send(uint32_t channel, Type type, std::string_view payload) {
    std::lock_guard lock(mu);
    return SendLocked(channel, type, payload);
  }
  bool SendLocked(uint32_t channel, Type type, std::string_view payload) {
    if (closed || to_agent_bytes > kMaxQueuedToAgent) return false;
    to_agent.push_back(p::Encode(channel, type, payload));
    to_agent_bytes += to_agent.back().size();
    cv.notify_all();
    return true;
  }
  void Cancel() {
    std::lock_guard lock(mu);
    if (cancelled) return;
    cancelled = true;
    (void)!::write(cancel_write.get(), "x", 1);
  }
  // Registers a reply handler on a new channel and sends the request on it.
  bool Request(Type type, std::string_view payload, std::function<void(const p::Frame*)> reply) {
    std::lock_guard lock(mu);
    if (closed) return false;
    const uint32_t channel = next_channel++;
    waiting[channel] = std::move(reply);
    if (!SendLocked(channel, type, payload)) {
      waiting.erase(channel);
      return false;
    }
    return true;
  }
  void WriterLoop();
  void OnFrame(const p::Frame& frame);
  void Ended();
};

// A client's view of a terminal (TerminalView).
class View final : public TerminalView {
 public:
  View(std::shared_ptr<WorkspaceManager::Workspace> ws, std::shared_ptr<WorkspaceManager::TerminalState> term)
      : ws_(std::move(ws)), term_(std::move(term)) {}
  ~View() override {
    std::lock_guard lock(ws_->mu);
    if (term_->view == this) {
      term_->view = nullptr;
      // Nobody reads now: acknowledge what was waiting, so the shell goes on.
      if (unacked_ > 0) AckLocked();
    }
  }
  Chunk Take() override {
    std::lock_guard lock(ws_->mu);
    Chunk chunk;
    chunk.output = std::move(pending_);
    pending_.clear();
    if (unacked_ > 0) AckLocked();
    if (term_->exit_code && term_->view == this) chunk.exit_code = term_->exit_code;
    chunk.detached = detached_;
    if (ws_->closed && !term_->exit_code) chunk.exit_code = -1;
    return chunk;
  }
  void SetWake(std::function<void()> wake) override {
    std::lock_guard lock(ws_->mu);
    wake_ = std::move(wake);
  }
  void Input(std::string_view bytes) override { ws_->Send(term_->channel, Type::kData, bytes); }
  void Resize(uint32_t cols, uint32_t rows) override {
    std::string payload;
    p::PutU32(payload, cols);
    p::PutU32(payload, rows);
    ws_->Send(term_->channel, Type::kResize, payload);
  }
  const std::string& terminal_id() const override { return term_->id; }

  // With ws_->mu held.
  void OnOutputLocked(std::string_view bytes) {
    pending_.append(bytes);
    unacked_ += static_cast<uint32_t>(bytes.size());
    if (wake_) wake_();
  }
  void ReplayLocked(const std::string& ring) { pending_ = ring; }
  void DetachLocked() {
    detached_ = true;
    if (wake_) wake_();
  }
  void WakeLocked() {
    if (wake_) wake_();
  }

 private:
  void AckLocked() {
    std::string payload;
    p::PutU32(payload, unacked_);
    ws_->SendLocked(term_->channel, Type::kAck, payload);
    unacked_ = 0;
  }
  std::shared_ptr<WorkspaceManager::Workspace> ws_;
  std::shared_ptr<WorkspaceManager::TerminalState> term_;
  std::string pending_;
  uint32_t unacked_ = 0;
  bool detached_ = false;
  std::function<void()> wake_;
};

void WorkspaceManager::Workspace::WriterLoop() {
  for (;;) {
    std::string frame;
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return closed || !to_agent.empty(); });
      if (closed) return;
      frame = std::move(to_agent.front());
      to_agent.pop_front();
      to_agent_bytes -= frame.size();
    }
    size_t done = 0;
    while (done < frame.size()) {
      ssize_t n = ::write(control_write.get(), frame.data() + done, frame.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // the sandbox has gone
      done += static_cast<size_t>(n);
    }
  }
}

void WorkspaceManager::Workspace::OnFrame(const p::Frame& frame) {
  std::function<void(const p::Frame*)> reply;
  std::function<void(Result<Info>)> ready_now;
  {
    std::lock_guard lock(mu);
    switch (frame.type) {
      case Type::kReady:
        ready = true;
        ready_now = std::move(on_ready);
        on_ready = nullptr;
        break;
      case Type::kData: {
        if (auto t = terminals.find(frame.channel); t != terminals.end()) {
          TerminalState& term = *t->second;
          term.ring.append(frame.payload);
          if (term.ring.size() > kReplayBytes) term.ring.erase(0, term.ring.size() - kReplayBytes);
          if (term.view) {
            term.view->OnOutputLocked(frame.payload);
          } else {
            std::string ack;
            p::PutU32(ack, static_cast<uint32_t>(frame.payload.size()));
            SendLocked(frame.channel, Type::kAck, ack);
          }
        } else if (auto c = connections.find(frame.channel); c != connections.end() && !frame.payload.empty()) {
          reply = [fn = c->second](const p::Frame* f) { fn(f->payload); };
        }
        break;
      }
      case Type::kClose: {
        p::Reader in(frame.payload);
        const int status = in.I32();
        if (auto t = terminals.find(frame.channel); t != terminals.end()) {
          TerminalState& term = *t->second;
          term.exit_code = status < 0 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
          if (term.view) term.view->WakeLocked();
        } else if (auto c = connections.find(frame.channel); c != connections.end()) {
          reply = [fn = c->second](const p::Frame*) { fn(std::string_view()); };
          connections.erase(c);
        }
        break;
      }
      case Type::kExecResult:
      case Type::kFileResult:
      case Type::kConnected:
        if (auto w = waiting.find(frame.channel); w != waiting.end()) {
          reply = std::move(w->second);
          waiting.erase(w);
        }
        break;
      default:
        break;
    }
  }
  if (ready_now) ready_now(Info{});  // the handler reads the workspace's own
  if (reply) reply(&frame);
}

void WorkspaceManager::Workspace::Ended() {
  std::map<uint32_t, std::function<void(const p::Frame*)>> orphans;
  std::map<uint32_t, std::function<void(std::string_view)>> open_connections;
  std::function<void(Result<Info>)> ready_now;
  {
    std::lock_guard lock(mu);
    closed = true;
    cv.notify_all();
    orphans.swap(waiting);
    open_connections.swap(connections);
    ready_now = std::move(on_ready);
    on_ready = nullptr;
    for (auto& [channel, term] : terminals) {
      if (!term->exit_code) term->exit_code = -1;
      if (term->view) term->view->WakeLocked();
    }
  }
  for (auto& [channel, reply] : orphans) reply(nullptr);
  for (auto& [channel, fn] : open_connections) fn(std::string_view());
  if (ready_now) ready_now(tl::unexpected(MakeError(ErrorKind::kInternal, "the workspace ended as it started: " + info.stop_reason)));
}

WorkspaceManager::WorkspaceManager(sandbox::Sandbox& sandbox, Settings settings)
    : sandbox_(sandbox), settings_(settings) {
  reaper_ = std::thread([this] { Reap(); });
}

WorkspaceManager::~WorkspaceManager() {
  std::vector<std::shared_ptr<Workspace>> all;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& [id, ws] : workspaces_) all.push_back(ws);
  }
  reaper_cv_.notify_all();
  reaper_.join();
  for (auto& ws : all) {
    {
      std::lock_guard lock(mu_);
      if (ws->info.stop_reason.empty()) ws->info.stop_reason = "server";
    }
    ws->Cancel();
  }
  for (auto& ws : all) {
    if (ws->runner.joinable()) ws->runner.join();
    if (ws->writer.joinable()) ws->writer.join();
  }
}

Settings WorkspaceManager::settings() const {
  std::lock_guard lock(mu_);
  return settings_;
}

void WorkspaceManager::SetSettings(const Settings& settings) {
  std::lock_guard lock(mu_);
  settings_ = settings;
}

// Every second: workspaces past their time-to-live or idle too long are stopped; those
// whose sandbox ended are forgotten (their threads joined).
void WorkspaceManager::Reap() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    reaper_cv_.wait_for(lock, std::chrono::milliseconds(250));
    if (stopping_) break;
    const auto now = Clock::now();
    std::vector<std::shared_ptr<Workspace>> cancel, finished;
    for (auto it = workspaces_.begin(); it != workspaces_.end();) {
      auto& ws = it->second;
      if (ws->info.status == "stopped") {
        finished.push_back(ws);
        it = workspaces_.erase(it);
        continue;
      }
      if (ws->info.stop_reason.empty() && now >= ws->info.expires_at) ws->info.stop_reason = "ttl";
      if (ws->info.stop_reason.empty() && now >= ws->info.idle_expires_at) ws->info.stop_reason = "idle";
      if (!ws->info.stop_reason.empty()) cancel.push_back(ws);
      ++it;
    }
    lock.unlock();
    for (auto& ws : cancel) ws->Cancel();
    for (auto& ws : finished) {
      if (ws->runner.joinable()) ws->runner.join();
      if (ws->writer.joinable()) ws->writer.join();
    }
    lock.lock();
  }
}

Status WorkspaceManager::Start(StartSpec spec, std::function<void(Result<Info>)> done) {
  auto ws = std::make_shared<Workspace>();
  const auto now = Clock::now();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Fail(ErrorKind::kUnavailable, "the server is stopping");
    int held = 0;
    for (auto& [id, other] : workspaces_) held += other->info.user_id == spec.user_id && other->info.status != "stopped";
    if (held >= settings_.max_per_user) {
      return Fail(ErrorKind::kTooMany, "a user may hold at most " + std::to_string(settings_.max_per_user) +
                                         " workspaces at once: stop one first");
    }
    auto ttl = spec.ttl.count() > 0 ? spec.ttl : settings_.default_ttl;
    if (ttl > settings_.max_ttl) {
      return Fail(ErrorKind::kInvalid, "ttl_seconds may be at most " + std::to_string(settings_.max_ttl.count()));
    }
    ws->info.id = NewId();
    ws->info.user_id = spec.user_id;
    ws->info.project_id = spec.project_id;
    ws->info.runtime = spec.runtime;
    ws->info.status = "starting";
    ws->info.created_at = now;
    ws->info.expires_at = now + ttl;
    ws->info.idle_expires_at = now + settings_.idle_timeout;
    ws->info.limits = spec.limits;
    workspaces_[ws->info.id] = ws;
  }
  int control[2], cancel[2];
  if (::pipe2(control, O_CLOEXEC) < 0 || ::pipe2(cancel, O_CLOEXEC) < 0) {
    std::lock_guard lock(mu_);
    workspaces_.erase(ws->info.id);
    return FailErrno("pipe");
  }
  ws->control_read.Reset(control[0]);
  ws->control_write.Reset(control[1]);
  ws->cancel_read.Reset(cancel[0]);
  ws->cancel_write.Reset(cancel[1]);
  ws->on_ready = [this, ws, done](Result<Info> info) {
    if (!info) return done(info);
    std::lock_guard lock(mu_);
    if (ws->info.status == "starting") ws->info.status = "running";
    Info copy = ws->info;
    done(copy);
  };

  // The sandbox lives as long as the longest time-to-live could make it; the manager ends
  // it sooner. Its CPU time is bounded by the sandbox's maximum.
  sandbox::RunSpec run;
  run.argv = {"/.runlet/agent"};
  run.env = spec.env;
  run.rootfs = spec.rootfs;
  run.files = std::move(spec.files);
  run.limits = spec.limits;
  const Limits most = MaxLimits();
  run.limits.wall_time = std::min<std::chrono::milliseconds>(most.wall_time, settings().max_ttl + std::chrono::minutes(1));
  run.limits.cpu_time = most.cpu_time;
  run.limits.output_bytes = most.output_bytes;
  run.stdin_fd = ws->control_read.get();
  run.cancel_fd = ws->cancel_read.get();
  run.keep_output_bytes = 0;
  run.unbounded_output = true;

  ws->writer = std::thread([ws] { ws->WriterLoop(); });
  ws->runner = std::thread([this, ws, run = std::move(run)] {
    auto on_output = [&](Stream stream, std::string_view data) {
      if (stream != Stream::kStdout) return;
      ws->parser.Feed(data);
      p::Frame frame;
      while (ws->parser.Next(frame)) ws->OnFrame(frame);
      if (ws->parser.broken()) {
        {
          std::lock_guard lock(mu_);
          if (ws->info.stop_reason.empty()) ws->info.stop_reason = "error: the agent sent a malformed frame";
        }
        ws->Cancel();
      }
    };
    auto result = sandbox_.Run(run, on_output);
    {
      std::lock_guard lock(mu_);
      if (ws->info.stop_reason.empty()) {
        ws->info.stop_reason = !result ? "error: " + result.error().message
                               : result->status == RunStatus::kCancelled ? "user"
                                                                        : "ended: " + std::string(StatusName(result->status)) +
                                                                              (result->message.empty() ? "" : ": " + result->message);
      }
      ws->info.status = "stopped";
    }
    if (!result) Log("warn", "workspace " + ws->info.id + ": " + result.error().message);
    ws->Ended();
    // Whatever is still open in the control pipe is no one's now.
    std::lock_guard lock(ws->mu);
    ws->control_write.Reset();
  });
  return {};
}

std::shared_ptr<WorkspaceManager::Workspace> WorkspaceManager::Find(const std::string& id, int64_t user_id, Error* error) {
  std::lock_guard lock(mu_);
  auto it = workspaces_.find(id);
  if (it == workspaces_.end() || (user_id != 0 && it->second->info.user_id != user_id) ||
      it->second->info.status == "stopped") {
    *error = MakeError(ErrorKind::kNotFound, "no workspace " + id);
    return nullptr;
  }
  it->second->info.idle_expires_at = Clock::now() + settings_.idle_timeout;
  return it->second;
}

Result<Info> WorkspaceManager::Get(const std::string& id, int64_t user_id) {
  Error error;
  auto ws = Find(id, user_id, &error);
  if (!ws) return tl::unexpected(error);
  std::lock_guard lock(mu_);
  return ws->info;
}

std::vector<Info> WorkspaceManager::List(int64_t user_id) {
  std::lock_guard lock(mu_);
  std::vector<Info> out;
  for (auto& [id, ws] : workspaces_) {
    if (ws->info.user_id == user_id && ws->info.status != "stopped") out.push_back(ws->info);
  }
  std::sort(out.begin(), out.end(), [](const Info& a, const Info& b) { return a.created_at < b.created_at; });
  return out;
}

std::vector<Info> WorkspaceManager::ListAll() {
  std::lock_guard lock(mu_);
  std::vector<Info> out;
  for (auto& [id, ws] : workspaces_) out.push_back(ws->info);
  return out;
}

Result<Info> WorkspaceManager::Stop(const std::string& id, int64_t user_id, const std::string& reason) {
  Error error;
  auto ws = Find(id, user_id, &error);
  if (!ws) return tl::unexpected(error);
  {
    std::lock_guard lock(mu_);
    if (ws->info.stop_reason.empty()) ws->info.stop_reason = reason;
  }
  ws->Cancel();
  // The sandbox ends within milliseconds (init is SIGKILLed); answer once it has.
  if (ws->runner.get_id() != std::this_thread::get_id()) {
    std::unique_lock lock(ws->mu);
    ws->cv.wait_for(lock, std::chrono::seconds(5), [&] { return ws->closed; });
  }
  std::lock_guard lock(mu_);
  Info info = ws->info;
  info.status = "stopped";
  return info;
}

Result<Info> WorkspaceManager::Extend(const std::string& id, int64_t user_id, std::chrono::seconds ttl) {
  Error error;
  auto ws = Find(id, user_id, &error);
  if (!ws) return tl::unexpected(error);
  std::lock_guard lock(mu_);
  if (ttl.count() <= 0) return Fail(ErrorKind::kInvalid, "ttl_seconds must be positive");
  const auto most = ws->info.created_at + settings_.max_ttl;
  const auto wanted = Clock::now() + ttl;
  if (wanted > most + std::chrono::seconds(1)) {
    return Fail(ErrorKind::kInvalid, "a workspace lives at most " + std::to_string(settings_.max_ttl.count()) +
                                         " seconds from its start; it can be extended by at most " +
                                         std::to_string(std::max<long>(0, std::chrono::duration_cast<std::chrono::seconds>(most - Clock::now()).count())) +
                                         " seconds now");
  }
  ws->info.expires_at = wanted;
  return ws->info;
}

Status WorkspaceManager::Touch(const std::string& id, int64_t user_id) {
  Error error;
  if (!Find(id, user_id, &error)) return tl::unexpected(error);
  return {};
}

void WorkspaceManager::Exec(const std::string& id, int64_t user_id, ExecSpec spec,
                            std::function<void(Result<ExecResult>)> done) {
  Error error;
  auto ws = Find(id, user_id, &error);
  if (!ws) return done(tl::unexpected(error));
  std::string payload;
  p::PutStr(payload, spec.workdir);
  p::PutStr(payload, spec.stdin_data);
  p::PutU32(payload, spec.timeout_ms);
  p::PutU32(payload, spec.max_output);
  p::PutU32(payload, static_cast<uint32_t>(spec.argv.size()));
  for (const auto& a : spec.argv) p::PutStr(payload, a);
  const bool sent = ws->Request(Type::kExec, payload, [done](const p::Frame* frame) {
    if (!frame) return done(tl::unexpected(Gone()));
    p::Reader in(frame->payload);
    const int err = in.I32();
    if (err != 0) {
      return done(tl::unexpected(MakeError(ErrorKind::kInvalid, std::string("the command could not start: ") + ::strerrorname_np(err))));
    }
    ExecResult r;
    r.exit_code = in.I32();
    r.signal = in.I32();
    r.wall_time_ms = in.U32();
    const uint32_t flags = in.U32();
    r.stdout_data = std::string(in.Str());
    r.stderr_data = std::string(in.Str());
    if (!in.ok()) return done(tl::unexpected(MakeError(ErrorKind::kInternal, "the workspace's agent answered nonsense")));
    r.timed_out = flags & p::kTimedOut;
    r.stdout_truncated = flags & p::kStdoutTruncated;
    r.stderr_truncated = flags & p::kStderrTruncated;
    done(std::move(r));
  });
  if (!sent) done(tl::unexpected(Gone()));
}

namespace {

Error FileError(int err, const std::string& path) {
  switch (err) {
    case ENOENT: return MakeError(ErrorKind::kNotFound, "no file " + path);
    case ELOOP:
    case EXDEV: return MakeError(ErrorKind::kInvalid, path + " is reached through a symbolic link, which the files API does not follow");
    case EISDIR: return MakeError(ErrorKind::kConflict, path + " is a folder");
    case ENOTDIR: return MakeError(ErrorKind::kConflict, "a part of " + path + " is a file");
    case EFBIG: return MakeError(ErrorKind::kTooLarge, path + " is too large");
    case ENOSPC:
    case EDQUOT: return MakeError(ErrorKind::kTooLarge, "the workspace's disk is full");
    case ENOTEMPTY: return MakeError(ErrorKind::kConflict, "the folder " + path + " is not empty");
    default: return MakeError(ErrorKind::kInvalid, path + ": " + ::strerrorname_np(err));
  }
}

}  // namespace

void WorkspaceManager::ListFiles(const std::string& id, int64_t user_id,
                                 std::function<void(Result<std::vector<FileEntry>>)> done) {
  Error error;
  auto ws = Find(id, user_id, &error);
  if (!ws) return done(tl::unexpected(error));
  const bool sent = ws->Request(Type::kFileList, {}, [done](const p::Frame* frame) {
    if (!frame) return done(tl::unexpected(Gone()));
    p::Reader in(frame->payload);
    const int err = in.I32();
    if (err == E2BIG) return done(tl::unexpected(MakeError(ErrorKind::kTooLarge, "the workspace holds more than 20,000 files")));
    if (err != 0) return done(tl::unexpected(FileError(err, "/work")));
    std::vector<FileEntry> out;
    while (in.ok() && !in.done()) {
      FileEntry e;
      e.path = std::string(in.Str());
      const uint32_t kind = in.U32();
      e.size = in.U64();
      if (!in.ok() || kind == p::kKindOther) continue;
      e.directory = kind == p::kKindDirectory;
      out.push_back(std::move(e));
    }
    std::sort(out.begin(), out.end(), [](const FileEntry& a, const FileEntry& b) { return a.path < b.path; });
    done(std::move(out));
  });
  if (!sent) done(tl::unexpected(Gone()));
}

void WorkspaceManager::ReadFile(const std::string& id, int64_t user_id, const std::string& path, uint32_t max_bytes,
                                std::function<void(Result<std::string>)> done) {
  Error error;
  auto ws = Find(id, user_id, &error);
  if (!ws) return done(tl::unexpected(error));
  std::string payload;
  p::PutStr(payload, path);
  p::PutU32(payload, max_bytes);
  const bool sent = ws->Request(Type::kFileRead, payload, [done, path](const p::Frame* frame) {
    if (!frame) return done(tl::unexpected(Gone()));
    p::Reader in(frame->payload);
    const int err = in.I32();
    if (err != 0) return done(tl::unexpected(FileError(err, path)));
    done(frame->payload.substr(4));
  });
  if (!sent) done(tl::unexpected(Gone()));
}

namespace {
// The agent's answer to a file change: an errno (0: done) for `path`.
std::function<void(const p::Frame*)> StatusReply(std::function<void(Status)> done, const std::string& path) {
  return [done = std::move(done), path](const p::Frame* frame) {
    if (!frame) return done(tl::unexpected(Gone()));
    p::Reader in(frame->payload);
    const int err = in.I32();
    if (err != 0) return done(tl::unexpected(FileError(err, path)));
    done({});
  };
}
}  // namespace

void WorkspaceManager::WriteFile(const std::string& id, int64_t user_id, const std::string& path, std::string content,
                                 std::function<void(Status)> done) {
  Error error;
  auto ws = Find(id, user_id, &error);
  if (!ws) return done(tl::unexpected(error));
  std::string payload;
  p::PutStr(payload, path);
  p::PutStr(payload, content);
  const bool sent = ws->Request(Type::kFileWrite, payload, StatusReply(done, path));
  if (!sent) done(tl::unexpected(Gone()));
}

void WorkspaceManager::DeleteFile(const std::string& id, int64_t user_id, const std::string& path,
                                  std::function<void(Status)> done) {
  Error error;
  auto ws = Find(id, user_id, &error);
  if (!ws) return done(tl::unexpected(error));
  std::string payload;
  p::PutStr(payload, path);
  const bool sent = ws->Request(Type::kFileDelete, payload, StatusReply(done, path));
  if (!sent) done(tl::unexpected(Gone()));
}

Result<std::shared_ptr<TerminalView>> WorkspaceManager::OpenTerminal(const std::string& id, int64_t user_id,
                                                                     uint32_t cols, uint32_t rows,
                                                                     const std::string& terminal_id) {
  Error error;
  auto ws = Find(id, user_id, &error);
  if (!ws) return tl::unexpected(error);
  std::lock_guard lock(ws->mu);
  if (ws->closed) return tl::unexpected(Gone());
  std::shared_ptr<TerminalState> term;
  if (!terminal_id.empty()) {
    for (auto& [channel, t] : ws->terminals) {
      if (t->id == terminal_id) term = t;
    }
    if (!term) return Fail(ErrorKind::kNotFound, "no terminal " + terminal_id + " in this workspace");
  } else {
    if (ws->terminals.size() >= 16) {
      // Forget ended ones first.
      for (auto it = ws->terminals.begin(); it != ws->terminals.end();) {
        it = it->second->exit_code && !it->second->view ? ws->terminals.erase(it) : std::next(it);
      }
      if (ws->terminals.size() >= 16) return Fail(ErrorKind::kTooMany, "a workspace has at most 16 terminals");
    }
    term = std::make_shared<TerminalState>();
    term->id = NewId();
    term->channel = ws->next_channel++;
    std::string payload;
    p::PutU32(payload, cols);
    p::PutU32(payload, rows);
    if (!ws->SendLocked(term->channel, Type::kOpenTerminal, payload)) return tl::unexpected(Gone());
    ws->terminals[term->channel] = term;
  }
  auto view = std::make_shared<View>(ws, term);
  if (term->view) term->view->DetachLocked();
  term->view = view.get();
  view->ReplayLocked(term->ring);
  if (!terminal_id.empty() && (cols || rows)) {
    std::string payload;
    p::PutU32(payload, cols);
    p::PutU32(payload, rows);
    ws->SendLocked(term->channel, Type::kResize, payload);
  }
  return std::shared_ptr<TerminalView>(view);
}

namespace {

class AgentConnection final : public WorkspaceManager::Connection {
 public:
  AgentConnection(std::shared_ptr<WorkspaceManager::Workspace> ws, uint32_t channel) : ws_(std::move(ws)), channel_(channel) {}
  ~AgentConnection() override { Close(); }
  void Write(std::string_view bytes) override;
  void Ack(uint32_t bytes) override;
  void Close() override;

 private:
  std::shared_ptr<WorkspaceManager::Workspace> ws_;
  uint32_t channel_;
  bool closed_ = false;
};

}  // namespace

void AgentConnection::Write(std::string_view bytes) { ws_->Send(channel_, Type::kData, bytes); }
void AgentConnection::Ack(uint32_t bytes) {
  std::string payload;
  p::PutU32(payload, bytes);
  ws_->Send(channel_, Type::kAck, payload);
}
void AgentConnection::Close() {
  if (closed_) return;
  closed_ = true;
  std::lock_guard lock(ws_->mu);
  ws_->connections.erase(channel_);
  ws_->SendLocked(channel_, Type::kClose, {});
}

void WorkspaceManager::Connect(const std::string& id, uint16_t port, std::function<void(std::string_view)> on_data,
                               std::function<void(Result<std::shared_ptr<Connection>>)> done) {
  Error error;
  auto ws = Find(id, 0, &error);
  if (!ws) return done(tl::unexpected(error));
  std::string payload;
  p::PutU32(payload, port);
  uint32_t channel = 0;
  {
    std::lock_guard lock(ws->mu);
    if (ws->closed) return done(tl::unexpected(Gone()));
    channel = ws->next_channel++;
    ws->connections[channel] = on_data;
    ws->waiting[channel] = [ws, channel, port, done](const p::Frame* frame) {
      if (!frame) return done(tl::unexpected(Gone()));
      p::Reader in(frame->payload);
      const int err = in.I32();
      if (err != 0) {
        std::lock_guard lock(ws->mu);
        ws->connections.erase(channel);
        return done(tl::unexpected(MakeError(ErrorKind::kUnavailable, "nothing answers on port " + std::to_string(port) +
                                                                      " in the workspace (" + ::strerrorname_np(err) + ")")));
      }
      done(std::shared_ptr<Connection>(std::make_shared<AgentConnection>(ws, channel)));
    };
    if (!ws->SendLocked(channel, Type::kConnect, payload)) {
      ws->waiting.erase(channel);
      ws->connections.erase(channel);
      return done(tl::unexpected(Gone()));
    }
  }
}

std::string DefaultAgentPath() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) {
    std::string beside(buf, static_cast<size_t>(n));
    beside = beside.substr(0, beside.rfind('/')) + "/runlet-workspace-agent";
    if (::access(beside.c_str(), X_OK) == 0) return beside;
  }
  return RUNLET_WORKSPACE_AGENT;
}

}  // namespace runlet::workspaces
