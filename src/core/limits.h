// Resource limits of one sandboxed process tree, and the admin's maxima.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/error.h"

namespace runlet {

struct Limits {
  std::chrono::milliseconds cpu_time{2000};   // CPU time of the whole tree
  std::chrono::milliseconds wall_time{5000};  // from start to exit
  uint64_t memory_bytes = 256ull << 20;       // RAM, swap included
  uint32_t pids = 64;                         // processes and threads at once
  uint64_t output_bytes = 1ull << 20;         // per stream (stdout, stderr)
  uint64_t disk_bytes = 64ull << 20;          // writable space: /work, /tmp
  uint64_t disk_inodes = 16384;               // files in the writable space
  double cpus = 1.0;                          // CPU bandwidth, in cores
  uint32_t open_files = 256;                  // RLIMIT_NOFILE
  uint64_t file_size_bytes = 0;               // RLIMIT_FSIZE; 0 = disk_bytes
  uint64_t stack_bytes = 8ull << 20;          // RLIMIT_STACK
  bool network = false;                       // only `false` is supported by the native sandbox
};

// The largest limits anyone may ask for; values above are refused, not clamped, by
// ValidateLimits (the server clamps to them where its contract says so).
Limits MaxLimits();

// Checks that every limit is in range [minimum, max]; names the first offending one.
Status ValidateLimits(const Limits& limits, const Limits& max = MaxLimits());

}  // namespace runlet
