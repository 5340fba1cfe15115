// Sandboxes apart from each other and the cgroup mode they run with.
#include <sched.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include "sandbox_test_support.h"

namespace runlet::sandbox::tests {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// Host uids of the non-root processes in each live slot cgroup of the tests' parent.
std::map<std::string, std::set<long>> UidsBySlot() {
  std::map<std::string, std::set<long>> uids;
  for (const auto& dir : SlotCgroups(kCgroupParent)) {
    if (dir.rfind("/sys/fs/cgroup/memory/", 0) != 0) continue;
    const std::string slot = fs::path(dir).filename().string();
    for (pid_t pid : CgroupPids(kCgroupParent, slot)) {
      const long uid = UidOf(pid);
      if (uid > 0) uids[slot].insert(uid);  // init is root on the host side
    }
  }
  return uids;
}

using SandboxIsolation = SandboxTest;

// The sandbox's init is a copy of the supervisor (no exec), so its /proc/1/cmdline showed
// the server's own command line, which may carry secrets. This process's arguments (the
// test binary's path, ctest's --gtest_filter) must not be readable inside.
TEST_F(SandboxIsolation, InitShowsItsOwnNameNotTheSupervisorsCommandLine) {
  std::string own;
  {
    std::ifstream in("/proc/self/cmdline");
    own.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_NE(own.find("runlet_sandbox_tests"), std::string::npos) << own;
  RunSpec spec;
  spec.argv = {"/bin/sh", "-c", "tr '\\0' '|' < /proc/1/cmdline; echo; cat /proc/1/comm; grep ^Name: /proc/1/status"};
  const RunResult r = RunOrFail(box(), spec);
  ASSERT_EQ(r.status, RunStatus::kOk) << Describe(r);
  EXPECT_EQ(r.stdout_data.find("runlet_sandbox_tests"), std::string::npos) << r.stdout_data;
  EXPECT_EQ(r.stdout_data.find("gtest"), std::string::npos) << r.stdout_data;
  const std::string first_line = r.stdout_data.substr(0, r.stdout_data.find('\n'));
  EXPECT_EQ(first_line.rfind("runlet-init|", 0), 0u) << first_line;
  EXPECT_EQ(first_line.find_first_not_of('|', 12), std::string::npos) << first_line;
  EXPECT_NE(r.stdout_data.find("\nrunlet-init\nName:\trunlet-init\n"), std::string::npos) << r.stdout_data;
}

TEST_F(SandboxIsolation, GivesConcurrentSandboxesDistinctUnprivilegedHostUids) {
  auto a = std::async(std::launch::async, [&] { return RunOrFail(box(), PayloadSpec({"sleep", "1500"})); });
  auto b = std::async(std::launch::async, [&] { return RunOrFail(box(), PayloadSpec({"sleep", "1500"})); });
  std::map<std::string, std::set<long>> uids;
  const bool both = WaitFor(
      [&] {
        uids = UidsBySlot();
        return uids.size() == 2 && !uids.begin()->second.empty() && !uids.rbegin()->second.empty();
      },
      milliseconds(1200));
  const RunResult ra = a.get(), rb = b.get();
  EXPECT_EQ(ra.status, RunStatus::kOk) << Describe(ra);
  EXPECT_EQ(rb.status, RunStatus::kOk) << Describe(rb);
  ASSERT_TRUE(both) << "did not see both sandboxes running";
  std::set<long> all;
  for (const auto& [slot, set] : uids) {
    ASSERT_EQ(set.size(), 1u) << slot << " runs under more than one uid";
    const long uid = *set.begin();
    const int index = std::stoi(slot.substr(5));
    EXPECT_EQ(uid, static_cast<long>(kUidBase) + index) << slot;
    all.insert(uid);
  }
  EXPECT_EQ(all.size(), 2u) << "two sandboxes share a host uid";
}

// B kills every process it can see. It sees only its own init (which it may not signal);
// A, running at the same time in another sandbox, survives.
TEST_F(SandboxIsolation, ConcurrentSandboxesCannotSignalEachOther) {
  auto a = std::async(std::launch::async,
                      [&] { return RunOrFail(box(), PayloadSpec({"sleep-print", "1000", "survived"})); });
  ASSERT_TRUE(WaitFor([] { return UidsBySlot().size() == 1 && !UidsBySlot().begin()->second.empty(); },
                      milliseconds(900)));
  const RunResult b = RunOrFail(box(), PayloadSpec({"kill-all"}));
  const RunResult ra = a.get();
  EXPECT_EQ(b.status, RunStatus::kOk) << Describe(b);
  EXPECT_EQ(b.stdout_data, "others visible: 1\n") << "B should see nothing but its init";
  EXPECT_EQ(ra.status, RunStatus::kOk) << Describe(ra);
  EXPECT_EQ(ra.stdout_data, "survived\n");
}

TEST_F(SandboxIsolation, ReportsCgroupV1OnThisHybridHost) {
  EXPECT_EQ(box().features().cgroup, CgroupMode::kV1) << DescribeFeatures(box().features());
  const RunResult r = RunOrFail(box(), PayloadSpec({"sleep", "1"}));
  EXPECT_EQ(r.status, RunStatus::kOk) << Describe(r);
  EXPECT_EQ(r.cgroup_version, "v1");
}

TEST(SandboxCgroupMode, RunsWithCgroupV1ForcedExplicitly) {
  SandboxOptions options = TestOptions();
  options.cgroup_mode = "v1";
  auto box = Sandbox::Create(options);
  ASSERT_TRUE(box.has_value()) << box.error().message;
  EXPECT_EQ((*box)->features().cgroup, CgroupMode::kV1);
  RunSpec spec = PayloadSpec({"spin", "100"});
  spec.limits.memory_bytes = 32ull << 20;
  const RunResult r = RunOrFail(**box, spec);
  ASSERT_EQ(r.status, RunStatus::kOk) << Describe(r);
  EXPECT_EQ(r.cgroup_version, "v1");
  EXPECT_GE(r.cpu_time_ms, 90) << Describe(r);
  EXPECT_GT(r.memory_peak_bytes, 0u) << Describe(r);
}

// This host's cgroup2 mount has no controllers, so v2 cannot run live here; forcing it
// must fail at Create, before any run, with a message that says what is missing.
TEST(SandboxCgroupMode, RefusesToStartWithCgroupV2ForcedOnAHostWithoutV2Controllers) {
  SandboxOptions options = TestOptions();
  options.cgroup_mode = "v2";
  auto box = Sandbox::Create(options);
  ASSERT_FALSE(box.has_value()) << "v2 accepted on a host whose cgroup2 has no controllers";
  const std::string& message = box.error().message;
  for (const char* word : {"v2", "memory", "pids", "cpu"}) {
    EXPECT_NE(message.find(word), std::string::npos) << word << " missing from: " << message;
  }
}

TEST(SandboxCgroupMode, RefusesAnUnknownCgroupMode) {
  SandboxOptions options = TestOptions();
  options.cgroup_mode = "bogus";
  auto box = Sandbox::Create(options);
  ASSERT_FALSE(box.has_value());
  EXPECT_NE(box.error().message.find("bogus"), std::string::npos) << box.error().message;
}

// Init is born SCHED_BATCH and pinned away from the supervisor's CPU while it sets the
// sandbox up (sandbox.cpp, Prepare); none of that may reach the program, the next step
// or the supervisor: the program runs SCHED_OTHER on every CPU the supervisor may use,
// under init's seccomp filter, and the calling thread is SCHED_OTHER afterwards.
TEST_F(SandboxIsolation, ProgramsGetTheNormalPolicyAndEveryCpuAndTheFilter) {
  auto host_cpus = [] {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("Cpus_allowed_list:", 0) == 0) return line;
    }
    return std::string();
  };
  const std::string expected_cpus = host_cpus();
  ASSERT_FALSE(expected_cpus.empty());
  RunSpec spec;
  spec.argv = {"/bin/sh", "-c",
               "chrt -p $$ | head -1 | sed 's/.*: //'; grep -E '^(Cpus_allowed_list|Seccomp):' /proc/self/status"};
  Step build;
  build.argv = spec.argv;
  spec.steps_before.push_back(build);
  std::vector<RunResult> before;
  auto result = box().Run(spec, {}, &before);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  ASSERT_EQ(before.size(), 1u);
  for (const RunResult* r : {&before[0], &*result}) {
    EXPECT_EQ(r->status, RunStatus::kOk) << Describe(*r);
    EXPECT_EQ(r->stdout_data, "SCHED_OTHER\nSeccomp:\t2\n" + expected_cpus + "\n");
  }
  EXPECT_EQ(::sched_getscheduler(0), SCHED_OTHER);
  EXPECT_EQ(host_cpus(), expected_cpus);
}

}  // namespace
}  // namespace runlet::sandbox::tests

namespace runlet::sandbox::tests {
namespace {

// Many sandboxes started at once, each with files written into its work directory while
// the others clone: none may fail because another's file was open for writing at the
// moment it was cloned (EBUSY making its root read-only, ETXTBSY running the payload).
TEST_F(SandboxIsolation, ManySandboxesStartedAtOnceAllRun) {
  constexpr int kThreads = 12, kRunsEach = 10;  // slots: 16
  std::vector<std::future<std::vector<std::string>>> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.push_back(std::async(std::launch::async, [&] {
      std::vector<std::string> failures;
      for (int i = 0; i < kRunsEach; ++i) {
        RunSpec spec = PayloadSpec({"args", "x"});
        spec.files.push_back({"data/extra.txt", std::string(64 * 1024, 'x'), false});
        auto r = box().Run(spec);
        if (!r) {
          failures.push_back("refused: " + r.error().message);
        } else if (r->status != RunStatus::kOk) {
          failures.push_back(Describe(*r));
        }
      }
      return failures;
    }));
  }
  int failed = 0;
  for (auto& t : threads) {
    for (const auto& f : t.get()) {
      if (++failed <= 5) ADD_FAILURE() << f;
    }
  }
  EXPECT_EQ(failed, 0) << "of " << kThreads * kRunsEach << " runs";
}

}  // namespace
}  // namespace runlet::sandbox::tests

namespace runlet::sandbox::tests {
namespace {

// A sandbox's processes are copies of the multi-threaded supervisor, locks included: one
// that another thread held at clone time stays held in the copy. Threads starting and
// ending all the time (as the server's do) hold glibc's thread-list lock often; a program
// that took it on its way to execve (glibc's setresuid does) would hang until the wall
// limit without ever running.
TEST_F(SandboxIsolation, RunsWhileOtherThreadsOfTheSupervisorStartAndEnd) {
  std::atomic<bool> stop{false};
  std::thread churn([&] {
    while (!stop) std::thread([] {}).join();
  });
  int failed = 0;
  for (int i = 0; i < 30; ++i) {
    RunSpec spec = PayloadSpec({"args", "ran"});
    spec.limits.wall_time = std::chrono::milliseconds(3000);
    const RunResult r = RunOrFail(box(), spec);
    if (r.status != RunStatus::kOk && ++failed <= 3) ADD_FAILURE() << "run " << i << ": " << Describe(r);
  }
  stop = true;
  churn.join();
  EXPECT_EQ(failed, 0) << "of 30 runs";
}

}  // namespace
}  // namespace runlet::sandbox::tests
