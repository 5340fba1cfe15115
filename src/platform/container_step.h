// What the container platforms (Docker, Podman, gVisor, Swarm) do alike for each step:
// say how it ended as the native sandbox would (its environment: core/environment.h).
#pragma once

#include <cstdint>

#include "core/environment.h"
#include "core/limits.h"
#include "core/run_result.h"

namespace runlet::platform {

// Why the platform stopped a step, if it did.
enum class StepKill { kNone, kCancel, kOutput, kWall, kCpu, kMemory };

// Sets result.status and result.message from the exit code or signal, what the platform
// stopped the step for, and what the container's memory cgroup counted during the step
// (`oom_kills`; `memory_hits`: allocations refused at the limit).
void ClassifyStep(RunResult& result, const Limits& limits, StepKill kill, uint64_t oom_kills, uint64_t memory_hits);

// The run's result when the build (not ok) stopped the job: compile_error with the build's
// reason, or cancelled / internal_error as the build was.
RunResult BuildFailure(const RunResult& build);

}  // namespace runlet::platform
