// One cgroup per sandbox: limits memory (swap included), pids and CPU bandwidth, and
// reads back CPU time, peak memory and OOM kills. v1 and v2 implement the same interface;
// the mode is chosen once from Features.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/limits.h"
#include "core/unique_fd.h"
#include "sandbox/features.h"

namespace runlet::sandbox {

struct CgroupUsage {
  uint64_t cpu_ns = 0;
  uint64_t memory_peak_bytes = 0;
  uint64_t oom_kills = 0;   // processes the kernel's OOM killer ended in this cgroup
  bool memory_hit = false;  // the memory limit was reached at least once
};

class Cgroup {
 public:
  virtual ~Cgroup() = default;  // kills every member and removes the cgroup

  virtual std::string_view Version() const = 0;
  // Sets memory (swap included), pids and CPU bandwidth.
  virtual Status Apply(const Limits& limits) = 0;
  // Moves `pid` into the cgroup (v1: every hierarchy).
  virtual Status AddProcess(pid_t pid) = 0;
  // A directory fd for clone3(CLONE_INTO_CGROUP), or -1 when the mode has none (v1).
  virtual int CloneIntoFd() const = 0;
  // v1's way into the cgroup: `tasks` of each hierarchy, opened for writing, for the
  // sandbox's init to write "0" to, first thing. A thread that moves itself needs no global
  // lock, whereas moving another process (AddProcess) takes cgroup_threadgroup_rwsem for
  // writing, which waits for an RCU grace period when it was idle: milliseconds. The
  // files' opener (root) is who the kernel checks. Empty where a process is born in its
  // cgroup instead (v2, CloneIntoFd).
  virtual Result<std::vector<UniqueFd>> OpenSelfJoin() = 0;
  virtual Result<CgroupUsage> ReadUsage() = 0;
  // Starts a new memory peak (between the steps of a run), where the kernel allows it.
  virtual void ResetPeak() = 0;
  // SIGKILLs every member, atomically where the kernel allows (cgroup.kill or freezer).
  virtual void KillAll() = 0;
};

// Creates and removes per-sandbox cgroups under a "runlet" parent of each hierarchy.
class CgroupManager {
 public:
  virtual ~CgroupManager() = default;
  // Creates `name` (e.g. "slot-3"); a leftover of that name is killed and removed first.
  virtual Result<std::unique_ptr<Cgroup>> Create(const std::string& name) = 0;
  // Names of the existing per-sandbox cgroups (live or left over by a crash).
  virtual std::vector<std::string> List() const = 0;
};

// The manager for features.cgroup, rooted at "<root>/<parent>" (parent "runlet" unless a
// test picks another). kNone gives an error: the sandbox refuses to run without limits.
Result<std::unique_ptr<CgroupManager>> MakeCgroupManager(const Features& features,
                                                         const std::string& parent = "runlet");

}  // namespace runlet::sandbox
