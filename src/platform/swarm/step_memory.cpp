#include "platform/swarm/step_memory.h"

#include <algorithm>
#include <cstdlib>
#include <string>

namespace runlet::platform::swarm {

MemoryCount CountMemory(std::string_view stat, bool v2, uint64_t v2_swap_bytes) {
  MemoryCount m;
  while (!stat.empty()) {
    const size_t end = std::min(stat.find('\n'), stat.size());
    const std::string_view line = stat.substr(0, end);
    stat.remove_prefix(std::min(end + 1, stat.size()));
    const size_t space = line.find(' ');
    if (space == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, space);
    const uint64_t value = std::strtoull(std::string(line.substr(space + 1)).c_str(), nullptr, 10);
    if (key == (v2 ? "anon" : "total_rss") || (!v2 && key == "total_swap")) m.private_bytes += value;
    if (key == (v2 ? "shmem" : "total_shmem")) m.shared_bytes = value;
  }
  if (v2) m.private_bytes += v2_swap_bytes;
  return m;
}

uint64_t StepMemoryBytes(const MemoryCount& now, uint64_t shared_at_start) {
  return now.private_bytes + (now.shared_bytes - std::min(now.shared_bytes, shared_at_start));
}

}  // namespace runlet::platform::swarm
