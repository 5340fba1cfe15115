// How the Swarm step runner counts a step's memory against the step's limit, from the
// container's memory cgroup: what the kernel cannot take back without killing (anonymous
// memory, swap, and shared memory: tmpfs files, shm), never the page cache, which it
// reclaims at the container's limit (counting it ended a step that had read a large
// file). Swap counts: Swarm's API 1.41 cannot set a service's MemorySwap, so on a host
// with swap a task's container may use as much swap again as its memory limit; the runner
// holds memory and swap together to the step's limit. C++ library only (the runner is
// static).
#pragma once

#include <cstdint>
#include <string_view>

namespace runlet::platform::swarm {

struct MemoryCount {
  uint64_t private_bytes = 0;  // anonymous and swapped out
  uint64_t shared_bytes = 0;   // shmem: tmpfs files (/work, /tmp) and shared memory
};

// `stat`: the text of memory.stat; cgroup v1 (the hierarchical total_rss, total_swap,
// total_shmem) or v2 (anon, shmem), whose swap is memory.swap.current: `v2_swap_bytes`.
MemoryCount CountMemory(std::string_view stat, bool v2, uint64_t v2_swap_bytes);

// A step's memory now: its private memory, and the shared memory added since it started
// (files an earlier step left in /work and /tmp are that step's, as on the native platform).
uint64_t StepMemoryBytes(const MemoryCount& now, uint64_t shared_at_start);

}  // namespace runlet::platform::swarm
