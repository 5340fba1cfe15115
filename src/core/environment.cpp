#include "core/environment.h"

#include <algorithm>

namespace runlet {

std::vector<std::string> StepEnvironment(const std::vector<std::string>& extra) {
  std::vector<std::string> env = {std::string("PATH=") + kDefaultPath, "HOME=/tmp", "LANG=C.UTF-8", "TMPDIR=/tmp"};
  for (const auto& kv : extra) {
    const auto key = kv.substr(0, kv.find('=') + 1);
    auto it = std::find_if(env.begin(), env.end(), [&](const std::string& e) { return e.rfind(key, 0) == 0; });
    if (it != env.end()) {
      *it = kv;
    } else {
      env.push_back(kv);
    }
  }
  return env;
}

std::string CheckEnvVariable(std::string_view name, std::string_view value) {
  if (name.empty()) return "an environment variable needs a name";
  if (name.find('\0') != std::string_view::npos) return "environment variable names may not contain NUL";
  if (name.find('=') != std::string_view::npos)
    return "environment variable name \"" + std::string(name) + "\" contains '='";
  if (value.find('\0') != std::string_view::npos)
    return "the value of environment variable " + std::string(name) + " contains a NUL byte";
  return {};
}

std::string CheckEnvEntry(std::string_view entry) {
  const size_t eq = entry.find('=');
  if (entry.find('\0') < eq) return "environment variable names may not contain NUL";
  if (eq == std::string_view::npos || eq == 0)
    return "environment entry \"" + std::string(entry) + "\" is not KEY=VALUE";
  return CheckEnvVariable(entry.substr(0, eq), entry.substr(eq + 1));
}

}  // namespace runlet
