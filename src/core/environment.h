// The environment a sandboxed step starts with, on every platform: nothing of the host's.
#pragma once

#include <string>
#include <vector>

namespace runlet {

// The PATH a step gets unless the job sets its own.
inline constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// PATH, HOME=/tmp, LANG=C.UTF-8 and TMPDIR=/tmp, with the job's own variables ("K=V")
// replacing or joining them.
std::vector<std::string> StepEnvironment(const std::vector<std::string>& extra);

}  // namespace runlet
