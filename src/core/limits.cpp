#include "core/limits.h"

#include <unistd.h>

#include <algorithm>

#include "core/units.h"

namespace runlet {

Limits MaxLimits() {
  Limits max;
  max.cpu_time = std::chrono::hours(1);
  max.wall_time = std::chrono::hours(2);
  max.memory_bytes = 16ull << 30;
  max.pids = 4096;
  max.output_bytes = 1ull << 30;
  max.disk_bytes = 16ull << 30;
  max.disk_inodes = 1u << 20;
  max.cpus = 64;
  max.open_files = 16384;
  max.file_size_bytes = 16ull << 30;
  max.stack_bytes = 1ull << 30;
  return max;
}

Limits MachineLimits() {
  Limits max = MaxLimits();
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page_size > 0) {
    const uint64_t ram = static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size);
    max.memory_bytes = std::clamp<uint64_t>(ram / 2, 4ull << 20, max.memory_bytes);
    max.disk_bytes = std::clamp<uint64_t>(ram / 4, 64ull << 10, max.disk_bytes);
    max.file_size_bytes = std::min(max.file_size_bytes, max.disk_bytes);
  }
  const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus > 0) max.cpus = std::min(max.cpus, static_cast<double>(cpus));
  return max;
}

Limits DefaultUserMaxLimits(const Limits& machine) {
  Limits user;
  user.cpu_time = std::chrono::seconds(60);
  user.wall_time = std::chrono::minutes(5);
  user.memory_bytes = 512ull << 20;
  user.pids = 256;
  user.output_bytes = 64ull << 20;
  user.disk_bytes = 256ull << 20;
  user.disk_inodes = 65536;
  user.cpus = 1;
  user.open_files = 1024;
  user.file_size_bytes = 256ull << 20;
  user.stack_bytes = 64ull << 20;
  return ClampLimits(user, machine);
}

Limits ClampLimits(Limits l, const Limits& max) {
  l.cpu_time = std::min(l.cpu_time, max.cpu_time);
  l.wall_time = std::min(l.wall_time, max.wall_time);
  l.memory_bytes = std::min(l.memory_bytes, max.memory_bytes);
  l.pids = std::min(l.pids, max.pids);
  l.output_bytes = std::min(l.output_bytes, max.output_bytes);
  l.disk_bytes = std::min(l.disk_bytes, max.disk_bytes);
  l.disk_inodes = std::min(l.disk_inodes, max.disk_inodes);
  l.cpus = std::min(l.cpus, max.cpus);
  l.open_files = std::min(l.open_files, max.open_files);
  if (l.file_size_bytes > 0) l.file_size_bytes = std::min(l.file_size_bytes, max.file_size_bytes);
  l.stack_bytes = std::min(l.stack_bytes, max.stack_bytes);
  return l;
}

Status ValidateLimits(const Limits& l, const Limits& max) {
  using std::chrono::milliseconds;
  auto out_of_range = [](const char* name, const std::string& value, const std::string& lo,
                         const std::string& hi) {
    return Fail(std::string(name) + " limit " + value + " is out of range [" + lo + ", " + hi + "]");
  };
  auto ms = [](milliseconds d) { return std::to_string(d.count()) + "ms"; };
  if (l.cpu_time < milliseconds(10) || l.cpu_time > max.cpu_time)
    return out_of_range("cpu time", ms(l.cpu_time), "10ms", ms(max.cpu_time));
  if (l.wall_time < milliseconds(10) || l.wall_time > max.wall_time)
    return out_of_range("wall time", ms(l.wall_time), "10ms", ms(max.wall_time));
  if (l.memory_bytes < (4ull << 20) || l.memory_bytes > max.memory_bytes)
    return out_of_range("memory", FormatSize(l.memory_bytes), "4M", FormatSize(max.memory_bytes));
  if (l.pids < 1 || l.pids > max.pids)
    return out_of_range("pids", std::to_string(l.pids), "1", std::to_string(max.pids));
  if (l.output_bytes > max.output_bytes)
    return out_of_range("output", FormatSize(l.output_bytes), "0", FormatSize(max.output_bytes));
  if (l.disk_bytes < (64ull << 10) || l.disk_bytes > max.disk_bytes)
    return out_of_range("disk", FormatSize(l.disk_bytes), "64K", FormatSize(max.disk_bytes));
  if (l.disk_inodes < 16 || l.disk_inodes > max.disk_inodes)
    return out_of_range("inodes", std::to_string(l.disk_inodes), "16",
                        std::to_string(max.disk_inodes));
  if (!(l.cpus >= 0.01) || l.cpus > max.cpus)
    return out_of_range("cpus", std::to_string(l.cpus), "0.01", std::to_string(max.cpus));
  if (l.open_files < 16 || l.open_files > max.open_files)
    return out_of_range("open files", std::to_string(l.open_files), "16",
                        std::to_string(max.open_files));
  if (l.file_size_bytes > max.file_size_bytes)
    return out_of_range("file size", FormatSize(l.file_size_bytes), "0",
                        FormatSize(max.file_size_bytes));
  if (l.stack_bytes < (64ull << 10) || l.stack_bytes > max.stack_bytes)
    return out_of_range("stack", FormatSize(l.stack_bytes), "64K", FormatSize(max.stack_bytes));
  if (l.network) return Fail("network access is not available: only --network none is supported");
  return {};
}

}  // namespace runlet
