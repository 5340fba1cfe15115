// Nothing outlives a run: no cgroups, no mounts on the host, no processes of the
// sandbox's uids, even when the program daemonises or the supervisor itself is killed.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/unique_fd.h"
#include "sandbox_test_support.h"

namespace runlet::sandbox::tests {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

UniqueFd PidfdOpen(pid_t pid) { return UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))); }

// True when every pidfd reports its process has exited within `timeout`.
bool AllExit(const std::vector<UniqueFd>& pidfds, milliseconds timeout) {
  return WaitFor(
      [&] {
        for (const auto& fd : pidfds) {
          struct pollfd p = {fd.get(), POLLIN, 0};
          if (::poll(&p, 1, 0) != 1) return false;
        }
        return true;
      },
      timeout);
}

// The slot cgroup ("slot-N") that host process `pid` is in, per its memory hierarchy.
std::string SlotOf(pid_t pid, const std::string& parent) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  std::string line;
  const std::string marker = ":memory:/" + parent + "/";
  while (std::getline(in, line)) {
    auto at = line.find(marker);
    if (at != std::string::npos) return line.substr(at + marker.size());
  }
  return {};
}

// Children of host process `parent`.
std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> children;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    std::getline(in, stat);
    // "pid (comm) state ppid ...": comm may hold spaces, so read after the last ')'.
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    int ppid = 0;
    if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) == 2 && ppid == parent) {
      children.push_back(static_cast<pid_t>(std::stol(name)));
    }
  }
  return children;
}

bool SlotExists(const std::string& parent, const std::string& slot) {
  for (const auto& dir : SlotCgroups(parent)) {
    if (fs::path(dir).filename() == slot) return true;
  }
  return false;
}

// Starts `argv` with stdout and stderr sent to /dev/null; returns its pid.
pid_t Spawn(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

int WaitExitCode(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

using SandboxCleanup = SandboxTest;

TEST_F(SandboxCleanup, LeavesNoCgroupsMountsOrProcessesBehind) {
  const auto mounts_before = MountPoints();
  ASSERT_TRUE(SlotCgroups(kCgroupParent).empty()) << "Sandbox::Create should have cleaned up";

  const RunResult ok = RunOrFail(box(), PayloadSpec({"sleep", "10"}));
  EXPECT_EQ(ok.status, RunStatus::kOk) << Describe(ok);
  RunSpec spinner = PayloadSpec({"spin-forever"});
  spinner.limits.cpu_time = milliseconds(100);
  const RunResult cpu = RunOrFail(box(), spinner);
  EXPECT_EQ(cpu.status, RunStatus::kTimeLimit) << Describe(cpu);
  RunSpec sleeper = PayloadSpec({"daemon", "30000"});
  sleeper.limits.wall_time = milliseconds(200);
  const RunResult wall = RunOrFail(box(), sleeper);
  EXPECT_EQ(wall.status, RunStatus::kTimeLimit) << Describe(wall);
  RunSpec hog = PayloadSpec({"alloc", "100"});
  hog.limits.memory_bytes = 32ull << 20;
  const RunResult memory = RunOrFail(box(), hog);
  EXPECT_EQ(memory.status, RunStatus::kMemoryLimit) << Describe(memory);
  RunSpec failing;
  failing.argv = {"/no/such/program"};
  const RunResult missing = RunOrFail(box(), failing);
  EXPECT_EQ(missing.status, RunStatus::kRuntimeError) << Describe(missing);

  EXPECT_EQ(SlotCgroups(kCgroupParent), std::vector<std::string>{});
  EXPECT_EQ(ProcessesWithUids(kUidBase, kUidBase + kSlots), std::vector<pid_t>{});
  EXPECT_EQ(MountPoints(), mounts_before);
}

TEST_F(SandboxCleanup, KillsADaemonWhenTheProgramEnds) {
  const auto start = std::chrono::steady_clock::now();
  const RunResult r = RunOrFail(box(), PayloadSpec({"daemon", "30000", "0"}));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(r.status, RunStatus::kOk) << Describe(r);
  EXPECT_EQ(r.stdout_data, "daemonised\n");
  EXPECT_EQ(ProcessesWithUids(kUidBase, kUidBase + kSlots), std::vector<pid_t>{});
  EXPECT_EQ(SlotCgroups(kCgroupParent), std::vector<std::string>{});
}

// A supervisor that is SIGKILLed cannot clean up. Its sandbox must still die (init has
// PR_SET_PDEATHSIG), and the next Sandbox::Create must remove the cgroup it left.
TEST(SandboxCrash, CreateRemovesTheCgroupOfAKilledSupervisorWhoseSandboxDiedWithIt) {
  {  // Start from a clean state: this removes anything an earlier crash left.
    auto box = Sandbox::Create(TestOptions());
    ASSERT_TRUE(box.has_value()) << box.error().message;
  }
  const pid_t supervisor = ::fork();
  ASSERT_GE(supervisor, 0);
  if (supervisor == 0) {
    auto box = Sandbox::Create(TestOptions());
    if (!box) ::_exit(3);
    RunSpec spec = PayloadSpec({"daemon", "30000"});
    spec.limits.wall_time = milliseconds(30000);
    (void)(*box)->Run(spec);
    ::_exit(4);
  }
  std::string slot;
  std::vector<pid_t> pids;
  const bool started = WaitFor(
      [&] {
        for (pid_t child : ChildrenOf(supervisor)) {
          if (slot.empty()) slot = SlotOf(child, kCgroupParent);
        }
        if (slot.empty()) return false;
        pids = CgroupPids(kCgroupParent, slot);
        return pids.size() >= 3;  // init, the program and its daemon
      },
      milliseconds(5000));
  if (!started) ::kill(supervisor, SIGKILL);
  ASSERT_TRUE(started) << "slot \"" << slot << "\" with " << pids.size() << " processes";
  std::vector<UniqueFd> pidfds;
  for (pid_t pid : pids) {
    pidfds.push_back(PidfdOpen(pid));
    ASSERT_TRUE(pidfds.back().valid()) << "pidfd_open " << pid;
  }

  ASSERT_EQ(::kill(supervisor, SIGKILL), 0);
  EXPECT_EQ(WaitExitCode(supervisor), 128 + SIGKILL);
  EXPECT_TRUE(AllExit(pidfds, milliseconds(3000))) << "sandbox processes outlived their supervisor";
  EXPECT_TRUE(CgroupPids(kCgroupParent, slot).empty());
  ASSERT_TRUE(SlotExists(kCgroupParent, slot)) << "a killed supervisor cannot remove its cgroup";

  auto box = Sandbox::Create(TestOptions());
  ASSERT_TRUE(box.has_value()) << box.error().message;
  EXPECT_FALSE(SlotExists(kCgroupParent, slot)) << slot << " was left behind";
  EXPECT_EQ(SlotCgroups(kCgroupParent), std::vector<std::string>{});
}

// The same through the runlet binary, with its own defaults (/run/runlet, the "runlet"
// cgroups): SIGKILL `runlet exec` while its program and a daemonised grandchild sleep.
TEST(RunletExec, KilledMidRunTakesItsSandboxAlongAndTheNextExecRemovesTheCgroup) {
  TempDir files;
  files.Write("payload", PayloadBytes(), 0755);
  const pid_t runlet = Spawn({RUNLET_BIN, "exec", "--json", "--wall", "30s", "--files", files.path(),
                              "--", "./payload", "daemon", "30000"});
  ASSERT_GT(runlet, 0);
  std::string slot;
  std::vector<pid_t> pids;
  const bool started = WaitFor(
      [&] {
        for (pid_t child : ChildrenOf(runlet)) {
          if (slot.empty()) slot = SlotOf(child, "runlet");
        }
        if (slot.empty()) return false;
        pids = CgroupPids("runlet", slot);
        return pids.size() >= 3;
      },
      milliseconds(5000));
  if (!started) ::kill(runlet, SIGKILL);
  ASSERT_TRUE(started) << "slot \"" << slot << "\" with " << pids.size() << " processes";
  std::vector<UniqueFd> pidfds;
  std::vector<long> uids;
  for (pid_t pid : pids) {
    pidfds.push_back(PidfdOpen(pid));
    ASSERT_TRUE(pidfds.back().valid()) << "pidfd_open " << pid;
    uids.push_back(UidOf(pid));
  }
  // Everything but init runs as the slot's unprivileged host uid.
  EXPECT_GE(std::count_if(uids.begin(), uids.end(), [](long uid) { return uid >= 200000 && uid < 200300; }),
            2);

  ASSERT_EQ(::kill(runlet, SIGKILL), 0);
  EXPECT_EQ(WaitExitCode(runlet), 128 + SIGKILL);
  EXPECT_TRUE(AllExit(pidfds, milliseconds(3000))) << "sandbox processes outlived runlet";
  ASSERT_TRUE(SlotExists("runlet", slot)) << "a killed runlet cannot remove its cgroup";

  const pid_t next = Spawn({RUNLET_BIN, "exec", "--", "/bin/true"});
  ASSERT_GT(next, 0);
  EXPECT_EQ(WaitExitCode(next), 0);
  EXPECT_FALSE(SlotExists("runlet", slot)) << slot << " was left behind";
}

}  // namespace
}  // namespace runlet::sandbox::tests
