// Runs the real `runlet exec --json` binary on a hostile payload and reads its verdict.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace runlet::abuse {

// What one `runlet exec --json` printed, and how runlet itself ended.
struct RunletResult {
  int runlet_exit = -1;    // runlet's own exit code; -1 when it died of a signal
  int runlet_signal = 0;   // the signal that killed runlet, if one did
  std::string raw_stdout;  // runlet's own stdout: the JSON result
  std::string raw_stderr;  // runlet's own stderr
  std::chrono::milliseconds elapsed{0};  // runlet's run time, measured by the test

  bool parsed = false;  // raw_stdout held one JSON result object
  std::string status;
  std::optional<int64_t> exit_code;
  std::optional<int64_t> signal;
  int64_t cpu_time_ms = 0;
  int64_t wall_time_ms = 0;
  uint64_t memory_peak_bytes = 0;
  std::string out;  // the program's stdout
  std::string err;  // the program's stderr
  bool stdout_truncated = false;
  bool stderr_truncated = false;
  std::string message;

  // True if the program's stdout has this exact line.
  bool HasLine(std::string_view line) const;
  // The first line of the program's stdout that starts with `prefix`, if any.
  std::optional<std::string> LineStartingWith(std::string_view prefix) const;
  // Everything above, for failure messages.
  std::string Describe() const;
};

struct RunletOptions {
  std::vector<std::string> payloads;     // copied into a fresh folder passed as --files
  std::vector<std::string> flags;        // runlet exec options (limits, --env, ...)
  std::vector<std::string> command;      // after "--"
  bool stdin_pipe = false;               // --stdin - fed by Send()/CloseStdin()
  std::vector<std::string> runlet_env;   // added to runlet's own environment
  rlim_t runlet_stack_bytes = 0;         // runlet's RLIMIT_STACK (it bounds argv), 0 = inherit
};

// One runlet process, started by the constructor. Not thread-safe; one owner.
class RunletProcess {
 public:
  explicit RunletProcess(const RunletOptions& options);
  ~RunletProcess();  // kills runlet if it still runs, removes the files folder
  RunletProcess(const RunletProcess&) = delete;
  RunletProcess& operator=(const RunletProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Writes to the program's stdin (needs stdin_pipe).
  void Send(std::string_view data);
  void CloseStdin();
  // The host uid of the sandbox slot this runlet holds (read from the slot lock it keeps
  // open), or nothing if it has not taken one within `timeout`.
  std::optional<uid_t> WaitForSandboxUid(std::chrono::milliseconds timeout) const;
  // Waits for runlet to end and parses its result.
  RunletResult Wait();

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  std::string files_dir_;
  std::chrono::steady_clock::time_point start_;
};

// The path of a payload: a static executable built next to the tests, or a script.
std::string PayloadPath(const std::string& name);

// Runs one payload ("./name args..." or "/bin/sh ./name.sh args...") with `flags`.
RunletResult RunPayload(const std::string& payload, const std::vector<std::string>& args = {},
                        const std::vector<std::string>& flags = {});

// Succeeds when the program ended "ok" with exit code 0, printed "done", printed no line
// starting with "FAIL", and printed every one of `lines`.
::testing::AssertionResult AllRefused(const RunletResult& result,
                                      std::initializer_list<std::string_view> lines = {});

// A token unlikely to appear anywhere by chance.
std::string UniqueToken(std::string_view prefix);

}  // namespace runlet::abuse
