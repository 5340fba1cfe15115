// cgroup v2: one directory in the unified hierarchy; processes are born in it through
// clone3(CLONE_INTO_CGROUP), so no window exists in which they run unlimited.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <thread>

#include "core/unique_fd.h"
#include "sandbox/cgroup.h"
#include "sandbox/cgroup_files.h"

namespace runlet::sandbox {
namespace {

using namespace cgroupfs;

class CgroupV2 final : public Cgroup {
 public:
  CgroupV2(std::string dir, UniqueFd fd) : dir_(std::move(dir)), fd_(std::move(fd)) {}
  ~CgroupV2() override {
    KillAll();
    fd_.Reset();
    (void)RemoveDir(dir_);
  }

  std::string_view Version() const override { return "v2"; }

  Status Apply(const Limits& limits) override {
    const std::string mem = std::to_string(limits.memory_bytes);
    if (auto s = WriteFile(dir_ + "/memory.max", mem); !s) return s;
    if (::access((dir_ + "/memory.swap.max").c_str(), F_OK) == 0) {
      if (auto s = WriteFile(dir_ + "/memory.swap.max", "0"); !s) return s;
    }
    if (auto s = WriteFile(dir_ + "/pids.max", std::to_string(limits.pids + 1)); !s) return s;
    const long period_us = 100000;
    const long quota_us = std::max(1000L, std::lround(limits.cpus * period_us));
    if (auto s = WriteFile(dir_ + "/cpu.max", std::to_string(quota_us) + " " +
                                                  std::to_string(period_us));
        !s)
      return s;
    // Read (and, on 6.12+, reset) through one fd: a reset applies to the fd that made it.
    if (!peak_fd_) peak_fd_.Reset(::open((dir_ + "/memory.peak").c_str(), O_RDWR | O_CLOEXEC));
    return {};
  }

  Status AddProcess(pid_t pid) override {
    return WriteFile(dir_ + "/cgroup.procs", std::to_string(pid));
  }

  int CloneIntoFd() const override { return fd_.get(); }

  // Processes are born here through CLONE_INTO_CGROUP; a v2 domain cgroup takes whole
  // processes only.
  Result<std::vector<UniqueFd>> OpenSelfJoin() override { return std::vector<UniqueFd>{}; }

  Result<CgroupUsage> ReadUsage() override {
    CgroupUsage usage;
    usage.cpu_ns = ReadKeyed(dir_ + "/cpu.stat", "usage_usec") * 1000;
    char buf[32] = {};
    ssize_t n = peak_fd_ ? ::pread(peak_fd_.get(), buf, sizeof buf - 1, 0) : -1;
    if (n > 0) {
      sampled_peak_ = std::max<uint64_t>(sampled_peak_, std::strtoull(buf, nullptr, 10));
    } else if (auto current = ReadNumber(dir_ + "/memory.current")) {
      sampled_peak_ = std::max(sampled_peak_, *current);  // kernels before 5.19: sampled
    }
    usage.memory_peak_bytes = sampled_peak_;
    usage.oom_kills = ReadKeyed(dir_ + "/memory.events", "oom_kill");
    usage.memory_hit = ReadKeyed(dir_ + "/memory.events", "max") > events_base_;
    return usage;
  }

  void ResetPeak() override {
    sampled_peak_ = 0;
    if (peak_fd_) (void)!::write(peak_fd_.get(), "reset\n", 6);
    events_base_ = ReadKeyed(dir_ + "/memory.events", "max");
  }

  void KillAll() override {
    if (WriteFile(dir_ + "/cgroup.kill", "1")) {
      // Linux 5.14+: the kernel kills every member at once, however fast they fork.
      for (int i = 0; i < 100 && !ReadPids(dir_ + "/cgroup.procs").empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::microseconds(500));
      }
      return;
    }
    (void)WriteFile(dir_ + "/cgroup.freeze", "1");
    for (int round = 0; round < 100; ++round) {
      auto pids = ReadPids(dir_ + "/cgroup.procs");
      if (pids.empty()) break;
      for (pid_t pid : pids) ::kill(pid, SIGKILL);
      if (round == 0) (void)WriteFile(dir_ + "/cgroup.freeze", "0");
      std::this_thread::sleep_for(std::chrono::microseconds(round < 10 ? 200 : 2000));
    }
  }

 private:
  std::string dir_;
  UniqueFd fd_;
  UniqueFd peak_fd_;
  uint64_t sampled_peak_ = 0;
  uint64_t events_base_ = 0;
};

class CgroupV2Manager final : public CgroupManager {
 public:
  CgroupV2Manager(std::string root, std::string parent)
      : root_(std::move(root)), parent_(root_ + "/" + parent) {}

  Status Init() {
    // Controllers must be enabled on every level down to our sandboxes' parent.
    (void)WriteFile(root_ + "/cgroup.subtree_control", "+memory +pids +cpu");
    if (auto s = MakeDir(parent_); !s) return s;
    if (auto s = WriteFile(parent_ + "/cgroup.subtree_control", "+memory +pids +cpu"); !s) {
      return tl::unexpected(s.error().Wrap(
          "enable memory, pids and cpu controllers (is " + root_ +
          " delegated to us, and does it hold no processes of its own?)"));
    }
    return {};
  }

  Result<std::unique_ptr<Cgroup>> Create(const std::string& name) override {
    const std::string dir = parent_ + "/" + name;
    if (::access(dir.c_str(), F_OK) == 0) CgroupV2 leftover(dir, UniqueFd());
    if (auto s = MakeDir(dir); !s) return tl::unexpected(s.error().Wrap("create cgroup"));
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) {
      auto err = FailErrno("open " + dir);
      CgroupV2 partial(dir, UniqueFd());
      return err;
    }
    return std::make_unique<CgroupV2>(dir, std::move(fd));
  }

  std::vector<std::string> List() const override { return ListChildren(parent_); }

 private:
  std::string root_;
  std::string parent_;
};

}  // namespace

Result<std::unique_ptr<CgroupManager>> MakeCgroupV1Manager(const Features& f,
                                                           const std::string& parent);

Result<std::unique_ptr<CgroupManager>> MakeCgroupManager(const Features& f,
                                                         const std::string& parent) {
  switch (f.cgroup) {
    case CgroupMode::kV1:
      return MakeCgroupV1Manager(f, parent);
    case CgroupMode::kV2: {
      auto manager = std::make_unique<CgroupV2Manager>(f.cgroup2_root, parent);
      if (auto s = manager->Init(); !s) return tl::unexpected(s.error().Wrap("cgroup v2"));
      return manager;
    }
    case CgroupMode::kNone:
      break;
  }
  return Fail(
      "no usable cgroup hierarchy: the sandbox needs the memory, pids and cpu controllers "
      "(cgroup v2 with them enabled, or the v1 hierarchies mounted) to enforce limits");
}

}  // namespace runlet::sandbox
