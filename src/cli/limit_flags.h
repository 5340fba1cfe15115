// The LIMITS flags shared by `runlet exec` and `runlet run` (see ../shared/API.md).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "core/limits.h"

namespace runlet::cli {

struct LimitFlags {
  std::string time, wall, memory, pids, output, disk, cpus, network, files;
};

void AddLimitFlags(CLI::App& app, LimitFlags& flags);

// Applies the flags that were given over `base`; errors name the flag.
Result<Limits> ToLimits(const LimitFlags& flags, Limits base = {});

}  // namespace runlet::cli
