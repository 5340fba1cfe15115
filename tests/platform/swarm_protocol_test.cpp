// The Swarm platform's plan, files and output encodings (step_protocol.h), without an engine.
#include "platform/swarm/step_protocol.h"
#include "platform/swarm/step_memory.h"

#include <gtest/gtest.h>

namespace runlet::platform::swarm {
namespace {

TEST(SwarmProtocol, PlanRoundTripsAnyBytes) {
  Plan plan;
  plan.uid = 2345678;
  plan.file_parts = 3;
  StepSpec build{"build", {"sh", "-c", "a\nb: c 12:x\n"}, {"K=v\nw", "EMPTY="}};
  build.cpu_ms = 1500;
  build.wall_ms = 9000;
  build.memory_bytes = 512ull << 20;
  build.output_bytes = 1 << 20;
  build.pids = 128;
  build.file_size_bytes = 1 << 30;
  build.open_files = 256;
  build.stack_bytes = 8 << 20;
  StepSpec run{"run", {std::string("bin\0ary", 7)}, {}};
  run.reads_stdin = true;
  plan.steps = {build, run};
  Plan back;
  std::string error;
  ASSERT_TRUE(DecodePlan(EncodePlan(plan), back, error)) << error;
  EXPECT_EQ(back.uid, plan.uid);
  EXPECT_EQ(back.file_parts, 3u);
  ASSERT_EQ(back.steps.size(), 2u);
  EXPECT_EQ(back.steps[0].argv, build.argv);
  EXPECT_EQ(back.steps[0].env, build.env);
  EXPECT_EQ(back.steps[0].cpu_ms, 1500u);
  EXPECT_EQ(back.steps[0].pids, 128u);
  EXPECT_EQ(back.steps[0].memory_bytes, 512ull << 20);
  EXPECT_FALSE(back.steps[0].reads_stdin);
  EXPECT_EQ(back.steps[1].argv, run.argv);
  EXPECT_TRUE(back.steps[1].reads_stdin);
}

TEST(SwarmProtocol, RefusesMalformedPlans) {
  Plan plan;
  std::string error;
  for (const std::string bad : {"uid 4:1000", "uid 9:1000\n", "uid x:1\n", "arg 1:a\n", "step 3:run\n",
                                "step 3:run\ncpu_ms 2:ab\n", "uid 11:99999999999\n", "step 3:run\nwhat 1:1\n"}) {
    EXPECT_FALSE(DecodePlan(bad, plan, error)) << bad;
  }
  EXPECT_TRUE(DecodePlan("", plan, error));  // no steps: nothing to do
}

TEST(SwarmProtocol, FilesRoundTrip) {
  std::vector<PlanFile> files = {{"a/b/c.txt", std::string("x\0y\n", 4), false}, {"run.sh", "", true}};
  std::vector<PlanFile> back;
  std::string error;
  ASSERT_TRUE(DecodeFiles(EncodeFiles(files), back, error)) << error;
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].path, "a/b/c.txt");
  EXPECT_EQ(back[0].content, files[0].content);
  EXPECT_FALSE(back[0].executable);
  EXPECT_TRUE(back[1].executable);
  EXPECT_FALSE(DecodeFiles("f 1:a\n", back, error));          // no content
  EXPECT_FALSE(DecodeFiles("f 1:a\nc 5:ab\n", back, error));  // cut short
}

TEST(SwarmProtocol, Base64RoundTripsAndRefusesGarbage) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= all.size(); n += 37) {
    std::string back;
    ASSERT_TRUE(Base64Decode(Base64Encode(all.substr(0, n)), back));
    EXPECT_EQ(back, all.substr(0, n));
  }
  EXPECT_EQ(Base64Encode("hi?"), "aGk/");
  EXPECT_EQ(Base64Encode("h"), "aA==");
  std::string out;
  for (const char* bad : {"a", "aGk", "aG=k", "a===", "aGk*", "=AAA"}) EXPECT_FALSE(Base64Decode(bad, out)) << bad;
}

TEST(SwarmProtocol, ParsesReportFields) {
  auto f = ParseFields("exit=3 cpu_ms=12 kill=none junk cgroup=v1");
  EXPECT_EQ(f["exit"], "3");
  EXPECT_EQ(f["cpu_ms"], "12");
  EXPECT_EQ(f["cgroup"], "v1");
  EXPECT_EQ(f.count("junk"), 0u);
}

// The step runner's memory count (step_memory.h), on memory.stat as the kernel writes it.
// A cgroup v1 container (hierarchical total_ keys beside the cgroup's own, which must not
// count twice) that read a 134 MiB file, holds 100 MiB of its own and 150 MiB in swap, and
// 8 MiB of files in /tmp. This machine has no swap: the fixtures are its only test.
constexpr uint64_t kMiB = 1 << 20;
const std::string kV1Stat =
    "cache " + std::to_string(142 * kMiB) + "\nrss " + std::to_string(100 * kMiB) +
    "\nrss_huge 0\nshmem " + std::to_string(8 * kMiB) + "\nmapped_file 0\nswap " + std::to_string(150 * kMiB) +
    "\npgfault 12345\nhierarchical_memory_limit " + std::to_string(256 * kMiB) +
    "\nhierarchical_memsw_limit 9223372036854771712\ntotal_cache " + std::to_string(142 * kMiB) +
    "\ntotal_rss " + std::to_string(100 * kMiB) + "\ntotal_rss_huge 0\ntotal_shmem " + std::to_string(8 * kMiB) +
    "\ntotal_swap " + std::to_string(150 * kMiB) + "\ntotal_inactive_file " + std::to_string(134 * kMiB) + "\n";
// The same on cgroup v2 (swap in memory.swap.current; file includes shmem).
const std::string kV2Stat = "anon " + std::to_string(100 * kMiB) + "\nfile " + std::to_string(142 * kMiB) +
                            "\nkernel 1048576\nshmem " + std::to_string(8 * kMiB) + "\nfile_mapped 0\nsock 0\n"
                            "anon_thp 0\ninactive_file " + std::to_string(134 * kMiB) + "\npgfault 12345\n";

TEST(SwarmStepMemory, CountsAnonymousSwapAndSharedNotThePageCacheOnV1) {
  const MemoryCount m = CountMemory(kV1Stat, false, 0);
  EXPECT_EQ(m.private_bytes, 250 * kMiB);  // total_rss + total_swap, each once
  EXPECT_EQ(m.shared_bytes, 8 * kMiB);
}

TEST(SwarmStepMemory, CountsAnonymousSwapAndSharedNotThePageCacheOnV2) {
  const MemoryCount m = CountMemory(kV2Stat, true, 150 * kMiB);
  EXPECT_EQ(m.private_bytes, 250 * kMiB);
  EXPECT_EQ(m.shared_bytes, 8 * kMiB);
}

// Swarm leaves a service's swap unset (memory + swap = twice the limit on a host with
// swap): a step whose memory went to swap is still over its 256 MiB limit here, and one
// that only read files is not.
TEST(SwarmStepMemory, SwapCountsAgainstTheStepsLimitAndThePageCacheDoesNot) {
  const uint64_t limit = 256 * kMiB;
  EXPECT_GT(StepMemoryBytes(CountMemory(kV1Stat, false, 0), 0), limit);
  EXPECT_GT(StepMemoryBytes(CountMemory(kV2Stat, true, 150 * kMiB), 0), limit);
  EXPECT_LT(StepMemoryBytes(CountMemory(kV2Stat, true, 0), 0), limit);
  const std::string only_cache = "cache " + std::to_string(900 * kMiB) + "\ntotal_cache " + std::to_string(900 * kMiB) +
                                 "\ntotal_rss " + std::to_string(10 * kMiB) + "\ntotal_swap 0\n";
  EXPECT_EQ(StepMemoryBytes(CountMemory(only_cache, false, 0), 0), 10 * kMiB);
}

// Files an earlier step left in /tmp are not this step's; what it adds is.
TEST(SwarmStepMemory, SharedMemoryCountsFromTheStepsStart) {
  const MemoryCount m = CountMemory(kV2Stat, true, 0);
  EXPECT_EQ(StepMemoryBytes(m, 8 * kMiB), 100 * kMiB);
  EXPECT_EQ(StepMemoryBytes(m, 2 * kMiB), 106 * kMiB);
  EXPECT_EQ(StepMemoryBytes(m, 20 * kMiB), 100 * kMiB);  // freed since: never below private
}

TEST(SwarmStepMemory, ToleratesAnEmptyOrTornStat) {
  EXPECT_EQ(CountMemory("", false, 0).private_bytes, 0u);
  EXPECT_EQ(CountMemory("total_rss", false, 0).private_bytes, 0u);
  EXPECT_EQ(CountMemory("total_rss 4096", false, 0).private_bytes, 4096u);  // no final newline
}

}  // namespace
}  // namespace runlet::platform::swarm
