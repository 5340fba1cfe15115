// Workspaces: sandboxes that stay up while someone works in them. Each is one native
// sandbox (the same namespaces, seccomp filter, cgroup limits, unprivileged uid and
// read-only root as a run) whose one program is the workspace agent (agent_main.cpp);
// terminals, commands, file operations and preview connections are frames to and from
// it (agent_protocol.h). A workspace ends at its time-to-live, after an idle timeout, on
// request, or with the server: the sandbox's init dies and the kernel kills everything
// in it. Nothing of a workspace outlives the server process (its sandboxes die with it,
// parent-death signal; the next start sweeps their cgroups).
//
// Thread-safe. Callbacks (`done`) run on the workspace's own thread, or on the caller's
// when the request is refused at once; they must not block.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/files.h"
#include "core/limits.h"
#include "sandbox/sandbox.h"

namespace runlet::workspaces {

struct Settings {
  std::chrono::seconds default_ttl{30 * 60};
  std::chrono::seconds max_ttl{2 * 60 * 60};
  std::chrono::seconds idle_timeout{10 * 60};
  int max_per_user = 3;
};

using Clock = std::chrono::system_clock;

struct Info {
  std::string id;
  int64_t user_id = 0;
  std::string project_id;  // "" for a bare workspace
  std::string runtime;
  std::string status;      // "starting", "running", "stopped"
  std::string stop_reason; // "user", "ttl", "idle", "server", "error: ..."
  Clock::time_point created_at, expires_at, idle_expires_at;
  Limits limits;
};

struct StartSpec {
  int64_t user_id = 0;
  std::string project_id;
  std::string runtime;
  std::string rootfs = "/";
  std::vector<InputFile> files;
  std::vector<std::string> env;  // KEY=VALUE
  Limits limits;
  std::chrono::seconds ttl{0};   // 0: the default
};

struct ExecSpec {
  std::vector<std::string> argv;
  std::string workdir = "/work";
  std::string stdin_data;
  uint32_t timeout_ms = 30000;
  uint32_t max_output = 1u << 20;  // per stream
};

struct ExecResult {
  int exit_code = -1;  // -1 when it died of a signal
  int signal = 0;
  std::string stdout_data, stderr_data;
  int64_t wall_time_ms = 0;
  bool timed_out = false, stdout_truncated = false, stderr_truncated = false;
};

struct FileEntry {
  std::string path;
  bool directory = false;
  uint64_t size = 0;
};

// One client's view of a terminal (a WebSocket). Output is taken with Take(): what is
// taken is acknowledged to the agent, which sends more only then (bounded memory, and a
// flood waits for the slowest reader). Dropping the view detaches it; the shell lives on.
class TerminalView {
 public:
  virtual ~TerminalView() = default;
  struct Chunk {
    std::string output;           // raw terminal bytes
    std::optional<int> exit_code; // the shell ended (after `output`)
    bool detached = false;        // another client took this terminal over
  };
  virtual Chunk Take() = 0;
  virtual void SetWake(std::function<void()> wake) = 0;  // any thread, once per change
  virtual void Input(std::string_view bytes) = 0;
  virtual void Resize(uint32_t cols, uint32_t rows) = 0;
  virtual const std::string& terminal_id() const = 0;
};

class WorkspaceManager {
 public:
  // `sandbox` must outlive the manager; its SandboxOptions::agent_path must be set.
  WorkspaceManager(sandbox::Sandbox& sandbox, Settings settings);
  ~WorkspaceManager();  // ends every workspace

  Settings settings() const;
  void SetSettings(const Settings& settings);

  // Starts a workspace; `done` gets it once its agent runs (status "running"), or the
  // error. Refused at once (returned) when the user holds max_per_user already.
  Status Start(StartSpec spec, std::function<void(Result<Info>)> done);

  // Workspaces of `user_id` only: another user's id is not_found, as an unknown one.
  Result<Info> Get(const std::string& id, int64_t user_id);
  std::vector<Info> List(int64_t user_id);
  std::vector<Info> ListAll();
  Result<Info> Stop(const std::string& id, int64_t user_id, const std::string& reason = "user");
  Result<Info> Extend(const std::string& id, int64_t user_id, std::chrono::seconds ttl);
  // Counts as activity (the idle timeout starts again).
  Status Touch(const std::string& id, int64_t user_id);

  void Exec(const std::string& id, int64_t user_id, ExecSpec spec, std::function<void(Result<ExecResult>)> done);
  void ListFiles(const std::string& id, int64_t user_id, std::function<void(Result<std::vector<FileEntry>>)> done);
  void ReadFile(const std::string& id, int64_t user_id, const std::string& path, uint32_t max_bytes,
                std::function<void(Result<std::string>)> done);
  void WriteFile(const std::string& id, int64_t user_id, const std::string& path, std::string content,
                 std::function<void(Status)> done);
  void DeleteFile(const std::string& id, int64_t user_id, const std::string& path, std::function<void(Status)> done);

  // A new terminal (terminal_id empty) or an existing one (its recent output replayed).
  Result<std::shared_ptr<TerminalView>> OpenTerminal(const std::string& id, int64_t user_id, uint32_t cols,
                                                    uint32_t rows, const std::string& terminal_id);

  // A TCP connection to 127.0.0.1:port inside the workspace. `on_data` gets its bytes
  // (empty: the app closed it); the connection's Write sends, Ack acknowledges taken
  // bytes, Close ends it. `done` gets the connection or the error.
  class Connection {
   public:
    virtual ~Connection() = default;
    virtual void Write(std::string_view bytes) = 0;
    virtual void Ack(uint32_t bytes) = 0;
    virtual void Close() = 0;
  };
  void Connect(const std::string& id, uint16_t port, std::function<void(std::string_view)> on_data,
               std::function<void(Result<std::shared_ptr<Connection>>)> done);

  struct Workspace;
  struct TerminalState;

 private:
  std::shared_ptr<Workspace> Find(const std::string& id, int64_t user_id, Error* error);
  void Reap();

  sandbox::Sandbox& sandbox_;
  mutable std::mutex mu_;
  Settings settings_;
  std::map<std::string, std::shared_ptr<Workspace>> workspaces_;
  bool stopping_ = false;
  std::condition_variable reaper_cv_;
  std::thread reaper_;
};

// The agent binary beside the running executable, else the one built with it.
std::string DefaultAgentPath();

}  // namespace runlet::workspaces
