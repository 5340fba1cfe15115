#include "platform/container_step.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>

#include "core/units.h"

namespace runlet::platform {
namespace {

std::string FormatMs(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

}  // namespace

std::vector<std::string> StepEnvironment(const std::vector<std::string>& extra) {
  std::vector<std::string> env = {std::string("PATH=") + kDefaultPath, "HOME=/tmp", "LANG=C.UTF-8", "TMPDIR=/tmp"};
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

}  // namespace runlet::platform
