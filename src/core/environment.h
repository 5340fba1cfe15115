// The environment a sandboxed step starts with, on every platform: nothing of the host's.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace runlet {

// The PATH a step gets unless the job sets its own.
inline constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// PATH, HOME=/tmp, LANG=C.UTF-8 and TMPDIR=/tmp, with the job's own variables ("K=V")
// replacing or joining them.
std::vector<std::string> StepEnvironment(const std::vector<std::string>& extra);

// Checks one environment variable given by a user or an admin: execve takes "NAME=VALUE"
// C strings, so a name must be non-empty without '=' or NUL, and a value without NUL
// (otherwise every run with it would fail). Returns the reason for refusing, or "".
std::string CheckEnvVariable(std::string_view name, std::string_view value);
// The same for one "NAME=VALUE" entry (the name ends at the first '=').
std::string CheckEnvEntry(std::string_view entry);

}  // namespace runlet
