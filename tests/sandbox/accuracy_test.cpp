// How exactly the sandbox measures and limits: CPU time, wall time and peak memory must
// be within 10% or 20 ms (whichever is larger) of what the payload did, and limits must
// end the program that close to where they are set.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "sandbox_test_support.h"

namespace runlet::sandbox::tests {
namespace {

using std::chrono::milliseconds;

// The accuracy the issue asks for: 10% of the expected value, but never less than 20 ms.
int64_t Tolerance(int64_t expected_ms) { return std::max<int64_t>(20, expected_ms / 10); }

#define EXPECT_WITHIN_TOLERANCE(actual, expected, result)                  \
  EXPECT_LE(std::llabs((actual) - (expected)), Tolerance(expected))        \
      << #actual " = " << (actual) << ", expected " << (expected) << " ± " \
      << Tolerance(expected) << "; " << Describe(result)

using SandboxAccuracy = SandboxTest;

TEST_F(SandboxAccuracy, ReportsCpuTimeOfA200MsBusyLoopWithinTenPercent) {
  const RunResult r = RunOrFail(box(), PayloadSpec({"spin", "200"}));
  ASSERT_EQ(r.status, RunStatus::kOk) << Describe(r);
  EXPECT_WITHIN_TOLERANCE(r.cpu_time_ms, 200, r);
}

TEST_F(SandboxAccuracy, ReportsCpuTimeOfA1000MsBusyLoopWithinTenPercent) {
  const RunResult r = RunOrFail(box(), PayloadSpec({"spin", "1000"}));
  ASSERT_EQ(r.status, RunStatus::kOk) << Describe(r);
  EXPECT_WITHIN_TOLERANCE(r.cpu_time_ms, 1000, r);
}

TEST_F(SandboxAccuracy, ReportsWallTimeOfA300MsSleepWithinTwentyMsAndNoCpuTime) {
  const RunResult r = RunOrFail(box(), PayloadSpec({"sleep", "300"}));
  ASSERT_EQ(r.status, RunStatus::kOk) << Describe(r);
  EXPECT_WITHIN_TOLERANCE(r.wall_time_ms, 300, r);
  EXPECT_LT(r.cpu_time_ms, 50) << Describe(r);
}

// Peak memory: the payload maps 100 MiB and writes to every page. The expectation is
// 100 MiB on top of the baseline of the same payload allocating nothing (the binary, its
// stack, init), within 10% of 100 MiB.
TEST_F(SandboxAccuracy, ReportsPeakMemoryOfA100MiBAllocationWithinTenPercentAboveTheBaseline) {
  const RunResult baseline = RunOrFail(box(), PayloadSpec({"alloc", "0"}));
  ASSERT_EQ(baseline.status, RunStatus::kOk) << Describe(baseline);
  ASSERT_GT(baseline.memory_peak_bytes, 0u) << Describe(baseline);
  EXPECT_LT(baseline.memory_peak_bytes, 16u << 20) << "the baseline should be small; " << Describe(baseline);

  const RunResult r = RunOrFail(box(), PayloadSpec({"alloc", "100"}));
  ASSERT_EQ(r.status, RunStatus::kOk) << Describe(r);
  ASSERT_EQ(r.stdout_data, "allocated\n");
  const int64_t mib = 1 << 20;
  const int64_t above_baseline =
      static_cast<int64_t>(r.memory_peak_bytes) - static_cast<int64_t>(baseline.memory_peak_bytes);
  EXPECT_GE(static_cast<int64_t>(r.memory_peak_bytes), 100 * mib) << Describe(r);
  EXPECT_LE(std::llabs(above_baseline - 100 * mib), 10 * mib)
      << "peak " << r.memory_peak_bytes << " - baseline " << baseline.memory_peak_bytes;
}

TEST_F(SandboxAccuracy, KillsASpinnerAtItsCpuLimitOf500MsWithinTenPercent) {
  RunSpec spec = PayloadSpec({"spin-forever"});
  spec.limits.cpu_time = milliseconds(500);
  spec.limits.wall_time = milliseconds(5000);
  const RunResult r = RunOrFail(box(), spec);
  ASSERT_EQ(r.status, RunStatus::kTimeLimit) << Describe(r);
  EXPECT_NE(r.message.find("CPU time limit 500 ms"), std::string::npos) << r.message;
  EXPECT_EQ(r.signal, SIGKILL) << Describe(r);
  EXPECT_FALSE(r.exit_code.has_value()) << Describe(r);
  EXPECT_GE(r.cpu_time_ms, 500) << Describe(r);
  EXPECT_WITHIN_TOLERANCE(r.cpu_time_ms, 500, r);
}

TEST_F(SandboxAccuracy, KillsASleeperAtItsWallLimitOf300Ms) {
  RunSpec spec = PayloadSpec({"sleep", "10000"});
  spec.limits.wall_time = milliseconds(300);
  const RunResult r = RunOrFail(box(), spec);
  ASSERT_EQ(r.status, RunStatus::kTimeLimit) << Describe(r);
  EXPECT_NE(r.message.find("wall time limit 300 ms"), std::string::npos) << r.message;
  EXPECT_GE(r.wall_time_ms, 300) << Describe(r);
  EXPECT_WITHIN_TOLERANCE(r.wall_time_ms, 300, r);
  EXPECT_LT(r.cpu_time_ms, 50) << Describe(r);
}

TEST_F(SandboxAccuracy, KillsAnAllocatorAtItsMemoryLimit) {
  RunSpec spec = PayloadSpec({"alloc", "200"});
  spec.limits.memory_bytes = 64ull << 20;
  const RunResult r = RunOrFail(box(), spec);
  ASSERT_EQ(r.status, RunStatus::kMemoryLimit) << Describe(r);
  EXPECT_NE(r.message.find("memory limit 64M"), std::string::npos) << r.message;
  EXPECT_EQ(r.stdout_data, "") << "the allocation must not have completed";
  EXPECT_EQ(r.signal, SIGKILL) << Describe(r);
  EXPECT_LE(r.memory_peak_bytes, 64ull << 20) << Describe(r);
  EXPECT_GE(r.memory_peak_bytes, 56ull << 20) << Describe(r);
}

TEST_F(SandboxAccuracy, LetsAnAllocationJustUnderTheMemoryLimitSucceed) {
  RunSpec spec = PayloadSpec({"alloc", "40"});
  spec.limits.memory_bytes = 64ull << 20;
  const RunResult r = RunOrFail(box(), spec);
  EXPECT_EQ(r.status, RunStatus::kOk) << Describe(r);
  EXPECT_EQ(r.stdout_data, "allocated\n");
}

// A build step's limits are set first, then the run's in the same cgroup: a run with
// more memory than its build (1.5 GiB after 1 GiB) raises the limits, and on cgroup v1
// memory.memsw.limit_in_bytes must be raised before memory.limit_in_bytes (the kernel
// refuses a memory limit above memsw), or every such run would be an internal error. The
// run then allocates beyond the build's limit; a cut back (a third, smaller step) works too.
TEST_F(SandboxAccuracy, ARunMayHaveMoreOrLessMemoryThanTheStepBeforeIt) {
  RunSpec spec = PayloadSpec({"alloc", "1100"});
  spec.limits.memory_bytes = 1536ull << 20;
  spec.limits.wall_time = std::chrono::seconds(20);
  spec.limits.cpu_time = std::chrono::seconds(10);
  Step build;
  build.argv = {"./payload", "alloc", "8"};
  build.limits = spec.limits;
  build.limits.memory_bytes = 1ull << 30;
  Step lower = build;
  lower.limits.memory_bytes = 64ull << 20;
  spec.steps_before = {build, lower};
  std::vector<RunResult> before;
  auto r = box().Run(spec, {}, &before);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ(before.size(), 2u) << Describe(*r);
  EXPECT_EQ(before[0].status, RunStatus::kOk) << Describe(before[0]);
  EXPECT_EQ(before[1].status, RunStatus::kOk) << Describe(before[1]);
  EXPECT_EQ(r->status, RunStatus::kOk) << Describe(*r);
  EXPECT_EQ(r->stdout_data, "allocated\n");
  EXPECT_GT(r->memory_peak_bytes, 1ull << 30) << Describe(*r);
}

// CPU time over wall time of the payload's "spin-procs 2 MS" run bare on this host now:
// about 2 when two cores are free, less when other work holds them.
double BareParallelism(int ms) {
  char path[] = "/tmp/runlet-payload-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) return 0;
  const std::string& bytes = PayloadBytes();
  const bool written = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
  ::fchmod(fd, 0700);
  ::close(fd);
  if (!written) return 0;
  const std::string arg = std::to_string(ms);
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execl(path, path, "spin-procs", "2", arg.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  struct rusage usage {};
  int status = 0;
  ::wait4(pid, &status, 0, &usage);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ::unlink(path);
  const double cpu = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
                     usage.ru_stime.tv_usec / 1e6;
  return wall > 0 ? cpu / wall : 0;
}

// Two processes each burn 500 ms of their own CPU time. The total must count both, and
// with --cpus 2 they run side by side: the CPU time is about twice the wall time when
// the host has two free cores. The host is measured just before, bare, so that a busy
// host (a CI neighbour, a compile) reads as the host's doing, not as a throttle.
TEST_F(SandboxAccuracy, CountsCpuTimeOfEveryProcessInTheTree) {
  RunSpec spec = PayloadSpec({"spin-procs", "2", "500"});
  spec.limits.cpus = 2;
  spec.limits.cpu_time = milliseconds(5000);
  const double bare = BareParallelism(500);
  const RunResult r = RunOrFail(box(), spec);
  ASSERT_EQ(r.status, RunStatus::kOk) << Describe(r);
  EXPECT_WITHIN_TOLERANCE(r.cpu_time_ms, 1000, r);
  ASSERT_GT(r.wall_time_ms, 0);
  const double ratio = static_cast<double>(r.cpu_time_ms) / static_cast<double>(r.wall_time_ms);
  EXPECT_GE(ratio, std::min(1.5, 0.8 * bare))
      << "CPU time should be about twice the wall time (bare on this host now: " << bare << "); " << Describe(r);
  EXPECT_LE(ratio, 2.1) << Describe(r);
}

// The same two processes with --cpus 1 share one core's worth of bandwidth: the wall
// time is at least their total CPU time.
TEST_F(SandboxAccuracy, HoldsTwoSpinnersToOneCoreWithCpusOne) {
  RunSpec spec = PayloadSpec({"spin-procs", "2", "300"});
  spec.limits.cpus = 1;
  const RunResult r = RunOrFail(box(), spec);
  ASSERT_EQ(r.status, RunStatus::kOk) << Describe(r);
  EXPECT_WITHIN_TOLERANCE(r.cpu_time_ms, 600, r);
  EXPECT_GE(r.wall_time_ms, r.cpu_time_ms * 9 / 10) << Describe(r);
}

}  // namespace
}  // namespace runlet::sandbox::tests
