// A unix-socket proxy in front of a container engine, for tests of an engine that hangs:
// it forwards each connection to the engine's socket until Silence(); from then on it
// forwards nothing either way and keeps every connection open, old and new (it still
// accepts), like an engine that stopped answering without closing anything, until
// Resume(). Used by the
// platform tests and the server tests (whose server reaches it through
// RUNLET_DOCKER_SOCKET).
#pragma once

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace runlet::testing {

class EngineProxy {
 public:
  // Listens on a fresh socket in a temporary directory; forwards to `upstream`.
  explicit EngineProxy(std::string upstream = "/var/run/docker.sock");
  ~EngineProxy();  // stops its thread, closes every connection, removes its socket
  EngineProxy(const EngineProxy&) = delete;
  EngineProxy& operator=(const EngineProxy&) = delete;

  const std::string& path() const { return path_; }
  // From when this returns, nothing more is forwarded. Idempotent.
  void Silence();
  // Forwards new connections again; those it holds stay silent (their callers time out).
  void Resume();
  int connections() const { return connections_; }  // accepted so far

 private:
  struct Pair {
    int client = -1;
    int engine = -1;        // -1 for connections accepted while silent
    bool silenced = false;  // open while silent: never forwarded again
  };
  void Serve();
  void Wake();

  std::string upstream_, dir_, path_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  std::atomic<bool> silent_{false}, stop_{false};
  std::atomic<bool> silenced_ack_{false};  // the thread saw the last Silence()/Resume()
  std::atomic<int> connections_{0};
  std::vector<Pair> pairs_;  // the thread's own
  std::thread thread_;
};

}  // namespace runlet::testing
