// The cgroup a container engine made for a container, read (and, for peaks, reset) from
// the host: CPU time, peak memory, OOM kills, and the processes in it. Found through
// /proc/<pid>/cgroup of the container's init, so it works for any engine and cgroup
// driver on this host (cgroup v1 hierarchies or the unified v2 one). The engine owns the
// directories; nothing here creates or removes one.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"

namespace runlet::platform::docker {

struct ContainerUsage {
  uint64_t cpu_ns = 0;
  uint64_t memory_peak_bytes = 0;  // since the last ResetPeak
  uint64_t oom_kills = 0;          // processes the kernel's OOM killer ended
  uint64_t memory_hits = 0;        // times the memory limit was reached (v1 failcnt, v2 "max")
};

class ContainerCgroup {
 public:
  // The cgroup of `pid` (a container's init, seen from the host).
  static Result<ContainerCgroup> ForPid(pid_t pid);

  std::string_view version() const { return v2_ ? "v2" : "v1"; }
  Result<ContainerUsage> ReadUsage() const;
  // Starts a new memory peak where the kernel allows it (v1; v2 keeps the total peak).
  void ResetPeak() const;
  // Sets memory (swap equal to it), pids (`pids` as given) and CPU bandwidth directly,
  // for engines that cannot update a running container (Podman 4.3's compat API).
  Status Apply(uint64_t memory_bytes, uint64_t pids, double cpus) const;
  // The processes (thread group ids) in the container's cgroup.
  std::vector<pid_t> Processes() const;

 private:
  bool v2_ = false;
  std::string memory_, cpuacct_, pids_, cpu_, procs_;  // directories (the same one on v2)
};

}  // namespace runlet::platform::docker
