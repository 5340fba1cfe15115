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

// What this machine can give one run, under every maximum an admin sets: MaxLimits()
// with memory at most half its RAM, writable disk (a tmpfs, held in RAM) at most a
// quarter, CPU bandwidth at most its CPUs (as /proc and sysconf report them).
Limits MachineLimits();

// An ordinary user's maxima on a fresh install, within `machine`: 1 CPU, 512 MiB of
// memory, 256 pids, 256 MiB of disk (65536 files), 60 s of CPU, 5 min of wall time,
// 64 MiB of output per stream, 1024 open files, 64 MiB of stack.
Limits DefaultUserMaxLimits(const Limits& machine);

// `l` with each limit at most `max`'s (file size 0, "as large as the disk", stays 0).
Limits ClampLimits(Limits l, const Limits& max);

// Checks that every limit is in range [minimum, max]; names the first offending one.
Status ValidateLimits(const Limits& limits, const Limits& max = MaxLimits());

}  // namespace runlet
