// The Swarm platform's plan, files and output encodings (step_protocol.h), without an engine.
#include "platform/swarm/step_protocol.h"

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

}  // namespace
}  // namespace runlet::platform::swarm
