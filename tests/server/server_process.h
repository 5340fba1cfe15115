// The real `runlet serve` as a child process of the test: started on port 0 with a data
// directory, its port read from the line it prints on stdout, its JSON log kept in a
// file, stopped by signal. Plus a temporary directory that removes itself.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace runlet::testing {

class TempDir {
 public:
  TempDir();  // a fresh directory under $TMPDIR or /tmp
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class ServerProcess {
 public:
  // Starts RUNLET_BIN serve --listen 127.0.0.1:0 --data `data_dir` --runtimes (the repo's)
  // plus `extra_args`, stderr appended to `log_path`, and waits (at most `timeout`) for
  // its "serving on" line. Throws std::runtime_error, with the log's tail, on failure.
  static std::unique_ptr<ServerProcess> Start(const std::string& data_dir, const std::string& log_path,
                                              const std::vector<std::string>& extra_args = {},
                                              std::chrono::seconds timeout = std::chrono::seconds(90));
  ~ServerProcess();  // SIGKILL and reap, if still running

  pid_t pid() const { return pid_; }
  unsigned short port() const { return port_; }
  bool running() const { return !exit_status_; }

  void Signal(int signal) const;
  // Waits for the process to end; its wait status, or nullopt after `timeout`.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  // The last `bytes` of the server's log (stderr).
  std::string LogTail(size_t bytes = 4000) const;

 private:
  ServerProcess() = default;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  unsigned short port_ = 0;
  std::string log_path_;
  std::optional<int> exit_status_;
};

}  // namespace runlet::testing
