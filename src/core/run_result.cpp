#include "core/run_result.h"

#include <array>
#include <utility>

namespace runlet {
namespace {

constexpr std::array<std::pair<RunStatus, std::string_view>, 11> kNames{{
    {RunStatus::kQueued, "queued"},
    {RunStatus::kBuilding, "building"},
    {RunStatus::kRunning, "running"},
    {RunStatus::kOk, "ok"},
    {RunStatus::kRuntimeError, "runtime_error"},
    {RunStatus::kCompileError, "compile_error"},
    {RunStatus::kTimeLimit, "time_limit"},
    {RunStatus::kMemoryLimit, "memory_limit"},
    {RunStatus::kOutputLimit, "output_limit"},
    {RunStatus::kCancelled, "cancelled"},
    {RunStatus::kInternalError, "internal_error"},
}};

}  // namespace

std::string_view StatusName(RunStatus status) {
  for (const auto& [value, name] : kNames) {
    if (value == status) return name;
  }
  return "internal_error";
}

std::optional<RunStatus> ParseStatus(std::string_view name) {
  for (const auto& [value, n] : kNames) {
    if (n == name) return value;
  }
  return std::nullopt;
}

bool IsFinal(RunStatus status) {
  return status != RunStatus::kQueued && status != RunStatus::kBuilding &&
         status != RunStatus::kRunning;
}

int ShellExitCode(const RunResult& result) {
  if (result.exit_code) return *result.exit_code;
  if (result.signal) return 128 + *result.signal;
  return result.status == RunStatus::kOk ? 0 : 1;
}

}  // namespace runlet
