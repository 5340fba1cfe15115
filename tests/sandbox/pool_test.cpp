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

// Sandboxes that hold a slot now: their cgroups in the memory hierarchy (SlotCgroups
// lists one directory per hierarchy).
size_t SlotsHeld() {
  size_t count = 0;
  for (const auto& dir : SlotCgroups(kCgroupParent)) count += dir.find("/memory/") != std::string::npos;
  return count;
}

RunSpec WithDisk(uint64_t mib) {
  RunSpec spec = PayloadSpec({"args", "x"});
  spec.limits.disk_bytes = mib << 20;
  return spec;
}

// Every distinct disk size is a kind of run of its own. Unbounded, 12 runs of 12 sizes
// pinned 12 prepared sandboxes (each a slot of the host's, a cgroup and an init) for the
// life of the server, and ~117 sizes would take every slot on the host. By default at
// most 8 are prepared at once.
TEST(SandboxPool, RunsOfManyDiskSizesPinNoMoreThanThePoolsBound) {
  auto box = Sandbox::Create(PoolOptions());
  ASSERT_TRUE(box) << box.error().message;
  ASSERT_EQ(PoolOptions().pool_total, 8);
  for (uint64_t mib = 300; mib < 312; ++mib) {
    const RunResult r = RunOrFail(**box, WithDisk(mib));
    ASSERT_EQ(r.status, RunStatus::kOk) << Describe(r);
  }
  EXPECT_TRUE(WaitFor([&] { return (*box)->PreparedCount() == 8; }, std::chrono::milliseconds(15000)))
      << (*box)->PreparedCount() << " prepared";
  // What the host sees: one cgroup per prepared sandbox, and the run's gone.
  EXPECT_TRUE(WaitFor([] { return SlotsHeld() == 8; }, std::chrono::milliseconds(5000)))
      << testing::PrintToString(SlotCgroups(kCgroupParent));
  ::usleep(300000);
  EXPECT_EQ((*box)->PreparedCount(), 8u);
  EXPECT_EQ(SlotsHeld(), 8u);
  // The first eight sizes got the room; the later ones, seen once, did not take it.
  EXPECT_TRUE((*box)->WaitUntilPrepared(WithDisk(300), std::chrono::milliseconds(0)));
  EXPECT_FALSE((*box)->WaitUntilPrepared(WithDisk(311), std::chrono::milliseconds(0)));
}

// With room for two kinds: a kind seen once does not displace anything; seen again, it
// takes the place of the least recently used kind, whose sandbox is given up.
TEST(SandboxPool, AKindAskedForAgainTakesThePlaceOfTheLeastRecentlyUsedOne) {
  SandboxOptions options = PoolOptions();
  options.pool_total = 2;
  auto box = Sandbox::Create(options);
  ASSERT_TRUE(box) << box.error().message;
  auto run = [&](uint64_t mib) {
    const RunResult r = RunOrFail(**box, WithDisk(mib));
    EXPECT_EQ(r.status, RunStatus::kOk) << Describe(r);
  };
  run(100);  // A
  run(101);  // B
  ASSERT_TRUE((*box)->WaitUntilPrepared(WithDisk(100), seconds(10)));
  ASSERT_TRUE((*box)->WaitUntilPrepared(WithDisk(101), seconds(10)));
  run(100);  // A again: now the more recent of the two
  ASSERT_TRUE((*box)->WaitUntilPrepared(WithDisk(100), seconds(10)));
  run(102);  // C, once: no room
  EXPECT_FALSE((*box)->WaitUntilPrepared(WithDisk(102), std::chrono::milliseconds(500)));
  EXPECT_TRUE((*box)->WaitUntilPrepared(WithDisk(101), std::chrono::milliseconds(0)));
  run(102);  // C again: takes B's place (B was used longest ago)
  EXPECT_TRUE((*box)->WaitUntilPrepared(WithDisk(102), seconds(10)));
  EXPECT_FALSE((*box)->WaitUntilPrepared(WithDisk(101), std::chrono::milliseconds(0)));
  EXPECT_TRUE((*box)->WaitUntilPrepared(WithDisk(100), std::chrono::milliseconds(0)));
  EXPECT_TRUE(WaitFor([&] { return SlotsHeld() == 2; }, std::chrono::milliseconds(5000)))
      << testing::PrintToString(SlotCgroups(kCgroupParent));
  EXPECT_EQ((*box)->PreparedCount(), 2u);
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
