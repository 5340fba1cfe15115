// What the container platforms (Docker, Podman, gVisor, Swarm) do alike for each step:
// its environment, and how it ended as the native sandbox would say it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/limits.h"
#include "core/run_result.h"

namespace runlet::platform {

// The step's environment: PATH, HOME=/tmp, LANG=C.UTF-8 and TMPDIR=/tmp, with the job's
// own variables ("K=V") replacing or joining them.
std::vector<std::string> StepEnvironment(const std::vector<std::string>& extra);

// Why the platform stopped a step, if it did.
enum class StepKill { kNone, kCancel, kOutput, kWall, kCpu, kMemory };

// Sets result.status and result.message from the exit code or signal, what the platform
// stopped the step for, and what the container's memory cgroup counted during the step
// (`oom_kills`; `memory_hits`: allocations refused at the limit).
void ClassifyStep(RunResult& result, const Limits& limits, StepKill kill, uint64_t oom_kills, uint64_t memory_hits);

}  // namespace runlet::platform
