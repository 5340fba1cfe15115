// The outcome of one sandboxed execution: the fields of the public result object.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/limits.h"

namespace runlet {

enum class RunStatus {
  kQueued,
  kBuilding,
  kRunning,
  kOk,
  kRuntimeError,
  kCompileError,
  kTimeLimit,
  kMemoryLimit,
  kOutputLimit,
  kCancelled,
  kInternalError,
};

// The program's output streams.
enum class Stream { kStdout, kStderr };

std::string_view StatusName(RunStatus status);
std::optional<RunStatus> ParseStatus(std::string_view name);
bool IsFinal(RunStatus status);

struct RunResult {
  RunStatus status = RunStatus::kInternalError;
  std::optional<int> exit_code;  // set when the program exited normally
  std::optional<int> signal;     // set when a signal ended it
  int64_t cpu_time_ms = 0;
  int64_t wall_time_ms = 0;
  uint64_t memory_peak_bytes = 0;
  std::string stdout_data;
  std::string stderr_data;
  bool stdout_truncated = false;  // the output limit was hit (the program was stopped)
  bool stderr_truncated = false;
  // The result keeps only the first part of the stream (the caller asked for at most
  // so many bytes, e.g. the server, whose run log holds the whole output).
  bool stdout_clipped = false;
  bool stderr_clipped = false;
  std::string message;                // why a limit hit or what failed; empty for ok
  std::optional<std::string> reason;  // cancelled runs: user, superseded, server_restart, ttl
  std::string cgroup_version;         // "v1" or "v2": which accounting the kernel gave
  // The limits the step ran under, after the server clamped the request to the user's
  // maxima and quota; set by the server, reported as "limits".
  std::optional<Limits> limits;
};

// Exit code a CLI passes on: the program's own, 128+N for signal N, 1 otherwise.
int ShellExitCode(const RunResult& result);

}  // namespace runlet
