// cgroup v1: one directory per hierarchy (memory, pids, cpu, cpuacct, freezer), each
// mounted separately or co-mounted; a process is added to every one.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <thread>

#include "sandbox/cgroup.h"
#include "sandbox/cgroup_files.h"

namespace runlet::sandbox {
namespace {

using namespace cgroupfs;

struct V1Paths {
  std::string memory, pids, cpu, cpuacct, freezer;  // per-sandbox directories
  std::vector<std::string> Distinct() const {
    std::vector<std::string> dirs;
    for (const auto* d : {&memory, &pids, &cpu, &cpuacct, &freezer}) {
      if (!d->empty() && std::find(dirs.begin(), dirs.end(), *d) == dirs.end()) dirs.push_back(*d);
    }
    return dirs;
  }
};

class CgroupV1 final : public Cgroup {
 public:
  explicit CgroupV1(V1Paths paths) : paths_(std::move(paths)) {}
  ~CgroupV1() override {
    KillAll();
    for (const auto& dir : paths_.Distinct()) (void)RemoveDir(dir);
  }

  std::string_view Version() const override { return "v1"; }

  Status Apply(const Limits& limits) override {
    // memory.memsw.limit_in_bytes (memory and swap; without it swap would let a program
    // hold more than the limit) may never be below memory.limit_in_bytes: the kernel
    // refuses either write (EINVAL) that would make it so. A raise (a run's memory above
    // its build's) sets memsw first, a cut sets memory first.
    const std::string mem = std::to_string(limits.memory_bytes);
    const std::string limit_file = paths_.memory + "/memory.limit_in_bytes";
    const std::string memsw_file = paths_.memory + "/memory.memsw.limit_in_bytes";
    const bool memsw = ::access(memsw_file.c_str(), F_OK) == 0;
    auto current = ReadNumber(limit_file);
    if (!current) return tl::unexpected(current.error());
    const bool raise = limits.memory_bytes > *current;
    if (memsw && raise) {
      if (auto s = WriteFile(memsw_file, mem); !s) return s;
    }
    if (auto s = WriteFile(limit_file, mem); !s) return s;
    if (memsw && !raise) {
      if (auto s = WriteFile(memsw_file, mem); !s) return s;
    }
    (void)WriteFile(paths_.memory + "/memory.swappiness", "0");
    // +1: the sandbox's init process counts too.
    if (auto s = WriteFile(paths_.pids + "/pids.max", std::to_string(limits.pids + 1)); !s)
      return s;
    const long period_us = 100000;
    const long quota_us = std::max(1000L, std::lround(limits.cpus * period_us));
    if (auto s = WriteFile(paths_.cpu + "/cpu.cfs_period_us", std::to_string(period_us)); !s)
      return s;
    if (auto s = WriteFile(paths_.cpu + "/cpu.cfs_quota_us", std::to_string(quota_us)); !s)
      return s;
    return {};
  }

  Status AddProcess(pid_t pid) override {
    const std::string text = std::to_string(pid);
    for (const auto& dir : paths_.Distinct()) {
      if (auto s = WriteFile(dir + "/cgroup.procs", text); !s) return s;
    }
    return {};
  }

  int CloneIntoFd() const override { return -1; }

  Result<std::vector<UniqueFd>> OpenSelfJoin() override {
    std::vector<UniqueFd> files;
    for (const auto& dir : paths_.Distinct()) {
      const std::string path = dir + "/tasks";
      UniqueFd fd(::open(path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
      if (!fd) return FailErrno("open " + path);
      files.push_back(std::move(fd));
    }
    return files;
  }

  Result<CgroupUsage> ReadUsage() override {
    CgroupUsage usage;
    auto cpu = ReadNumber(paths_.cpuacct + "/cpuacct.usage");
    if (!cpu) return tl::unexpected(cpu.error());
    usage.cpu_ns = *cpu;
    auto peak = ReadNumber(paths_.memory + "/memory.max_usage_in_bytes");
    if (!peak) return tl::unexpected(peak.error());
    usage.memory_peak_bytes = *peak;
    usage.oom_kills = ReadKeyed(paths_.memory + "/memory.oom_control", "oom_kill");
    auto failcnt = ReadNumber(paths_.memory + "/memory.failcnt");
    usage.memory_hit = failcnt && *failcnt > 0;
    return usage;
  }

  void ResetPeak() override {
    (void)WriteFile(paths_.memory + "/memory.max_usage_in_bytes", "0");
    (void)WriteFile(paths_.memory + "/memory.failcnt", "0");
  }

  void KillAll() override {
    const std::string procs = paths_.memory + "/cgroup.procs";
    // Usually nobody is left (init's death emptied its pid namespace): then nothing can
    // fork either, and there is nothing to freeze.
    auto left = ReadPids(procs);
    std::erase(left, ::getpid());
    if (left.empty()) return;
    const bool freezer = !paths_.freezer.empty();
    if (freezer) (void)WriteFile(paths_.freezer + "/freezer.state", "FROZEN");
    for (int round = 0; round < 100; ++round) {
      auto pids = ReadPids(procs);
      std::erase(pids, ::getpid());  // never the supervisor (its threads never join)
      if (pids.empty()) break;
      for (pid_t pid : pids) ::kill(pid, SIGKILL);
      if (freezer && round == 0) (void)WriteFile(paths_.freezer + "/freezer.state", "THAWED");
      std::this_thread::sleep_for(std::chrono::microseconds(round < 10 ? 200 : 2000));
    }
    if (freezer) (void)WriteFile(paths_.freezer + "/freezer.state", "THAWED");
  }

 private:
  V1Paths paths_;
};

class CgroupV1Manager final : public CgroupManager {
 public:
  CgroupV1Manager(const Features& f, std::string parent) : mounts_(f.v1_mounts) {
    auto at = [&](const char* controller) -> std::string {
      auto it = f.v1_mounts.find(controller);
      return it == f.v1_mounts.end() ? std::string() : it->second + "/" + parent;
    };
    parents_ = {at("memory"), at("pids"), at("cpu"), at("cpuacct"), at("freezer")};
  }

  Status Init() {
    for (const auto& dir : parents_.Distinct()) {
      if (auto s = MakeDir(dir); !s) return s;
    }
    return {};
  }

  Result<std::unique_ptr<Cgroup>> Create(const std::string& name) override {
    V1Paths paths = Child(name);
    if (::access(paths.memory.c_str(), F_OK) == 0) {
      CgroupV1 leftover(paths);  // its destructor kills and removes
    }
    for (const auto& dir : paths.Distinct()) {
      if (auto s = MakeDir(dir); !s) {
        CgroupV1 partial(paths);
        return tl::unexpected(s.error().Wrap("create cgroup " + name));
      }
    }
    return std::make_unique<CgroupV1>(std::move(paths));
  }

  std::vector<std::string> List() const override {
    std::vector<std::string> names;
    for (const auto& dir : parents_.Distinct()) {
      for (auto& n : ListChildren(dir)) {
        if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
      }
    }
    return names;
  }

 private:
  V1Paths Child(const std::string& name) const {
    auto join = [&](const std::string& p) { return p.empty() ? p : p + "/" + name; };
    return {join(parents_.memory), join(parents_.pids), join(parents_.cpu),
            join(parents_.cpuacct), join(parents_.freezer)};
  }
  V1Paths parents_;
  std::map<std::string, std::string> mounts_;
};

}  // namespace

Result<std::unique_ptr<CgroupManager>> MakeCgroupV1Manager(const Features& f,
                                                           const std::string& parent) {
  auto manager = std::make_unique<CgroupV1Manager>(f, parent);
  if (auto s = manager->Init(); !s) return tl::unexpected(s.error().Wrap("cgroup v1"));
  return manager;
}

}  // namespace runlet::sandbox
