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

}  // namespace runlet
