#include "core/limits.h"

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
