// The server's path: sandboxes prepared ahead of demand (SandboxOptions::pool_size).
// A prepared sandbox serves one run only, and nothing of it outlives the Sandbox.
#include <chrono>
#include <future>

#include "sandbox_test_support.h"

namespace runlet::sandbox::tests {
namespace {

using std::chrono::seconds;

SandboxOptions PoolOptions() {
  SandboxOptions options = TestOptions();
  options.pool_size = 1;
  return options;
}

RunSpec Shell(const std::string& script) {
  RunSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  return spec;
}

TEST(SandboxPool, PreparesASandboxAfterTheFirstRunAndTheNextRunUsesIt) {
  auto box = Sandbox::Create(PoolOptions());
  ASSERT_TRUE(box) << box.error().message;
  const RunSpec spec = PayloadSpec({"args", "one"});
  EXPECT_FALSE((*box)->WaitUntilPrepared(spec, std::chrono::milliseconds(0))) << "nothing asked for yet";
  const RunResult first = RunOrFail(**box, spec);
  ASSERT_EQ(first.status, RunStatus::kOk) << Describe(first);
  ASSERT_TRUE((*box)->WaitUntilPrepared(spec, seconds(10))) << "the pool did not prepare a sandbox";
  const RunResult second = RunOrFail(**box, PayloadSpec({"args", "two"}));
  ASSERT_EQ(second.status, RunStatus::kOk) << Describe(second);
  EXPECT_NE(second.stdout_data.find("two"), std::string::npos) << Describe(second);
}

TEST(SandboxPool, APreparedSandboxKeepsNothingOfTheRunBefore) {
  auto box = Sandbox::Create(PoolOptions());
  ASSERT_TRUE(box) << box.error().message;
  const RunSpec leave = Shell("echo secret > /tmp/mark; echo secret > /work/mark; sleep 30 & echo left");
  const RunResult first = RunOrFail(**box, leave);
  ASSERT_EQ(first.status, RunStatus::kOk) << Describe(first);
  ASSERT_TRUE((*box)->WaitUntilPrepared(leave, seconds(10)));
  const RunResult second = RunOrFail(
      **box, Shell("ls -a /tmp /work; for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; done"));
  ASSERT_EQ(second.status, RunStatus::kOk) << Describe(second);
  EXPECT_EQ(second.stdout_data.find("mark"), std::string::npos) << Describe(second);
  EXPECT_EQ(second.stdout_data.find("sleep 30"), std::string::npos) << Describe(second);
}

TEST(SandboxPool, LeavesNoCgroupsOrProcessesOnceTheSandboxIsGone) {
  {
    auto box = Sandbox::Create(PoolOptions());
    ASSERT_TRUE(box) << box.error().message;
    for (int i = 0; i < 3; ++i) {
      const RunResult r = RunOrFail(**box, PayloadSpec({"daemon", "30000", "10"}));
      EXPECT_NE(r.status, RunStatus::kInternalError) << Describe(r);
    }
    ASSERT_TRUE((*box)->WaitUntilPrepared(PayloadSpec({"daemon", "30000", "10"}), seconds(10)));
  }
  EXPECT_TRUE(WaitFor([] { return SlotCgroups(kCgroupParent).empty(); }, std::chrono::milliseconds(2000)))
      << "left: " << testing::PrintToString(SlotCgroups(kCgroupParent));
  EXPECT_TRUE(ProcessesWithUids(kUidBase, kUidBase + kSlots).empty());
}

TEST(SandboxPool, WaitUntilPreparedIsFalseWithoutAPool) {
  auto box = Sandbox::Create(TestOptions());
  ASSERT_TRUE(box) << box.error().message;
  EXPECT_FALSE((*box)->WaitUntilPrepared(PayloadSpec({"args"}), seconds(1)));
}

// Every slot busy at once, over and over: a slot is free again the moment Run returns,
// although sandboxes cloned meanwhile by other threads inherited its lock's fd.
TEST(SandboxSlots, AsManyThreadsAsSlotsNeverFindThemAllBusy) {
  auto box = Sandbox::Create(TestOptions());
  ASSERT_TRUE(box) << box.error().message;
  std::vector<std::future<std::vector<std::string>>> threads;
  for (int t = 0; t < kSlots; ++t) {
    threads.push_back(std::async(std::launch::async, [&] {
      std::vector<std::string> failures;
      for (int i = 0; i < 5; ++i) {
        auto r = (*box)->Run(PayloadSpec({"args", "x"}));
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
  EXPECT_EQ(failed, 0) << "of " << kSlots * 5 << " runs";
}

}  // namespace
}  // namespace runlet::sandbox::tests
