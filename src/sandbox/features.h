// What the running kernel and host offer the sandbox, detected once at start.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/error.h"

namespace runlet::sandbox {

enum class CgroupMode { kNone, kV1, kV2 };
std::string_view CgroupModeName(CgroupMode mode);

struct Features {
  CgroupMode cgroup = CgroupMode::kNone;
  std::string cgroup2_root;                        // mount point of cgroup2, if any
  std::map<std::string, std::string> v1_mounts;    // controller -> mount point
  bool cgroup2_has_controllers = false;            // memory, pids and cpu available in v2
  bool new_mount_api = false;                      // fsopen/fsmount/move_mount (5.2+)
  bool mount_setattr = false;                      // recursive read-only binds (5.12+)
  bool clone_into_cgroup = false;                  // clone3 CLONE_INTO_CGROUP (5.7+)
  bool user_namespaces = false;                    // may create user namespaces
  std::vector<std::string> notes;                  // what was chosen and why
};

// Reads /proc/self/mountinfo and probes the kernel. `forced_cgroup` ("v1", "v2", "none" or
// "") overrides the choice, as the RUNLET_CGROUP environment variable does; forcing a mode
// the host lacks is an error that says what is missing.
Result<Features> DetectFeatures(std::string_view forced_cgroup = {});

// A readable report of `features` for `runlet doctor`-style output and errors.
std::string DescribeFeatures(const Features& features);

}  // namespace runlet::sandbox
