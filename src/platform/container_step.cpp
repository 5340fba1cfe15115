#include "platform/container_step.h"

#include <signal.h>

#include <chrono>
#include <cstring>
#include <string>

#include "core/units.h"

namespace runlet::platform {
namespace {

std::string FormatMs(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

}  // namespace

void ClassifyStep(RunResult& result, const Limits& limits, StepKill kill, uint64_t oom_kills, uint64_t memory_hits) {
  using enum RunStatus;
  const bool failed = !result.exit_code || *result.exit_code != 0;
  if (kill == StepKill::kMemory ||
      (kill == StepKill::kNone && failed && (oom_kills > 0 || (memory_hits > 0 && result.signal == SIGKILL)))) {
    result.status = kMemoryLimit;
    result.message = "memory limit " + FormatSize(limits.memory_bytes) + " exceeded";
    return;
  }
  switch (kill) {
    case StepKill::kCancel:
      result.status = kCancelled;
      result.message = "cancelled";
      return;
    case StepKill::kOutput:
      result.status = kOutputLimit;
      result.message = "output limit " + FormatSize(limits.output_bytes) + " per stream exceeded";
      return;
    case StepKill::kWall:
      result.status = kTimeLimit;
      result.message = "wall time limit " + FormatMs(limits.wall_time) + " exceeded";
      return;
    case StepKill::kCpu:
      result.status = kTimeLimit;
      result.message = "CPU time limit " + FormatMs(limits.cpu_time) + " exceeded";
      return;
    case StepKill::kMemory:
    case StepKill::kNone:
      break;
  }
  if (result.signal &&
      (*result.signal == SIGXCPU ||
       (*result.signal == SIGKILL && std::chrono::milliseconds(result.cpu_time_ms) >= limits.cpu_time))) {
    result.status = kTimeLimit;
    result.message = "CPU time limit " + FormatMs(limits.cpu_time) + " exceeded";
    return;
  }
  if (result.signal && *result.signal == SIGXFSZ) {
    result.status = kRuntimeError;
    result.message = "file size limit exceeded";
    return;
  }
  if (result.exit_code && *result.exit_code == 0) {
    result.status = kOk;
    return;
  }
  result.status = kRuntimeError;
  result.message = result.signal ? std::string("killed by signal ") + strsignal(*result.signal)
                                 : "exited with code " + std::to_string(*result.exit_code);
}

RunResult BuildFailure(const RunResult& build) {
  RunResult run;
  run.cgroup_version = build.cgroup_version;
  run.status = build.status == RunStatus::kInternalError ? RunStatus::kInternalError
               : build.status == RunStatus::kCancelled   ? RunStatus::kCancelled
                                                         : RunStatus::kCompileError;
  run.message = build.message.empty() ? std::string(StatusName(build.status)) : "the build failed: " + build.message;
  if (run.status == RunStatus::kCancelled) run.message = "cancelled";
  return run;
}

}  // namespace runlet::platform
