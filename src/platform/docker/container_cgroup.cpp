#include "platform/docker/container_cgroup.h"

#include <sys/stat.h>

#include <sstream>

#include "sandbox/cgroup_files.h"

namespace runlet::platform::docker {
namespace {

namespace fs = sandbox::cgroupfs;

bool IsDir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The directory of a v1 controller: its own mount (/sys/fs/cgroup/memory) or a shared one
// named after the line's controller list (/sys/fs/cgroup/cpu,cpuacct).
std::string V1Dir(const std::string& controllers, const std::string& controller, const std::string& path) {
  for (const std::string& mount : {controller, controllers}) {
    const std::string dir = "/sys/fs/cgroup/" + mount + path;
    if (IsDir(dir)) return dir;
  }
  return {};
}

}  // namespace

Result<ContainerCgroup> ContainerCgroup::ForPid(pid_t pid) {
  const std::string file = "/proc/" + std::to_string(pid) + "/cgroup";
  auto text = fs::ReadFile(file);
  if (!text) return tl::unexpected(text.error().Wrap("find the container's cgroup"));
  ContainerCgroup out;
  std::string unified;
  std::istringstream lines(*text);
  for (std::string line; std::getline(lines, line);) {
    // "4:memory:/docker/<id>", "2:cpu,cpuacct:/...", "0::/docker/<id>"
    const size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1);
    const std::string path = line.substr(b + 1);
    if (controllers.empty()) {
      unified = path;
      continue;
    }
    std::istringstream names(controllers);
    for (std::string name; std::getline(names, name, ',');) {
      if (name == "memory") out.memory_ = V1Dir(controllers, name, path);
      if (name == "cpuacct") out.cpuacct_ = V1Dir(controllers, name, path);
      if (name == "pids") out.pids_ = V1Dir(controllers, name, path);
      if (name == "cpu") out.cpu_ = V1Dir(controllers, name, path);
    }
  }
  if (!out.memory_.empty() && !out.cpuacct_.empty()) {
    out.procs_ = out.memory_ + "/cgroup.procs";
    return out;
  }
  if (!unified.empty() && IsDir("/sys/fs/cgroup" + unified) && out.memory_.empty()) {
    out.v2_ = true;
    out.memory_ = out.cpuacct_ = out.pids_ = out.cpu_ = "/sys/fs/cgroup" + unified;
    out.procs_ = out.memory_ + "/cgroup.procs";
    return out;
  }
  return Fail("find the container's cgroup: no memory and cpuacct cgroups in " + file +
              " (the engine must run on this host with cgroup accounting)");
}

Result<ContainerUsage> ContainerCgroup::ReadUsage() const {
  ContainerUsage usage;
  if (v2_) {
    usage.cpu_ns = fs::ReadKeyed(memory_ + "/cpu.stat", "usage_usec") * 1000;
    if (auto peak = fs::ReadNumber(memory_ + "/memory.peak")) {
      usage.memory_peak_bytes = *peak;
    } else if (auto current = fs::ReadNumber(memory_ + "/memory.current")) {
      usage.memory_peak_bytes = *current;
    }
    usage.oom_kills = fs::ReadKeyed(memory_ + "/memory.events", "oom_kill");
    usage.memory_hits = fs::ReadKeyed(memory_ + "/memory.events", "max");
    return usage;
  }
  auto cpu = fs::ReadNumber(cpuacct_ + "/cpuacct.usage");
  if (!cpu) return tl::unexpected(cpu.error());
  usage.cpu_ns = *cpu;
  auto peak = fs::ReadNumber(memory_ + "/memory.max_usage_in_bytes");
  if (!peak) return tl::unexpected(peak.error());
  usage.memory_peak_bytes = *peak;
  usage.oom_kills = fs::ReadKeyed(memory_ + "/memory.oom_control", "oom_kill");
  if (auto failcnt = fs::ReadNumber(memory_ + "/memory.failcnt")) usage.memory_hits = *failcnt;
  return usage;
}

void ContainerCgroup::ResetPeak() const {
  if (!v2_) (void)fs::WriteFile(memory_ + "/memory.max_usage_in_bytes", "0");
}

Status ContainerCgroup::Apply(uint64_t memory_bytes, uint64_t pids, double cpus) const {
  const std::string memory = std::to_string(memory_bytes);
  if (v2_) {
    for (const auto& [file, value] : {std::pair{"/memory.max", memory}, {"/memory.swap.max", std::string("0")},
                                      {"/pids.max", std::to_string(pids)}}) {
      if (auto s = fs::WriteFile(memory_ + file, value); !s) return s;
    }
    const auto quota = static_cast<uint64_t>(cpus * 100000);
    return fs::WriteFile(cpu_ + "/cpu.max", std::to_string(quota) + " 100000");
  }
  if (pids_.empty() || cpu_.empty()) return Fail("no pids or cpu cgroup for the container");
  // memory+swap may never be below memory: raise it first, lower it last.
  const std::string mem = memory_ + "/memory.limit_in_bytes", memsw = memory_ + "/memory.memsw.limit_in_bytes";
  auto current = fs::ReadNumber(mem);
  const bool raising = current && *current < memory_bytes;
  const bool has_swap = IsDir(memory_) && fs::ReadFile(memsw).has_value();
  if (raising && has_swap) {
    if (auto s = fs::WriteFile(memsw, memory); !s) return s;
  }
  if (auto s = fs::WriteFile(mem, memory); !s) return s;
  if (!raising && has_swap) {
    if (auto s = fs::WriteFile(memsw, memory); !s) return s;
  }
  if (auto s = fs::WriteFile(pids_ + "/pids.max", std::to_string(pids)); !s) return s;
  auto period = fs::ReadNumber(cpu_ + "/cpu.cfs_period_us");
  const uint64_t p = period ? *period : 100000;
  return fs::WriteFile(cpu_ + "/cpu.cfs_quota_us", std::to_string(static_cast<uint64_t>(cpus * static_cast<double>(p))));
}

std::vector<pid_t> ContainerCgroup::Processes() const { return fs::ReadPids(procs_); }

}  // namespace runlet::platform::docker
