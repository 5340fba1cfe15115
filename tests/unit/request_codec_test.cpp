// The shared queue's encoding of a run request: what one server writes, another reads
// back exactly; anything else is refused, not half-read.
#include <gtest/gtest.h>

#include "runs/request_codec.h"

namespace runlet::runs {
namespace {

RunRequest Sample() {
  RunRequest r;
  r.user_id = 42;
  r.project_id = "proj";
  r.version_id = "ver";
  r.runtime_id = "python-3.11";
  r.job.image = "python:3.11";
  r.job.platform = "docker";
  r.job.files = {{"main.py", "print('hi')\n", false}, {"bin/x", std::string("\0\xff\n", 3), true}};
  r.job.build = runtime::JobCommand{{"make", "all"}, {"A=1"}, {}};
  r.job.build->limits.memory_bytes = 1 << 30;
  r.job.run.argv = {"python3", "main.py", ""};
  r.job.run.env = {"PATH=/usr/bin"};
  r.job.run.limits.cpus = 0.25;
  r.job.run.limits.wall_time = std::chrono::milliseconds(12345);
  r.job.run.limits.network = true;
  r.job.stdin_data = "input\n";
  r.job.memory_errors = {"MemoryError"};
  r.interactive = true;
  r.idle_limit = std::chrono::milliseconds(30000);
  r.quota = {3, 512u << 20, 1.5};
  return r;
}

TEST(RequestCodec, ReadsBackWhatItWrote) {
  const RunRequest a = Sample();
  auto b = DecodeRequest(EncodeRequest(a));
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->user_id, 42);
  EXPECT_EQ(b->project_id, "proj");
  EXPECT_EQ(b->version_id, "ver");
  EXPECT_EQ(b->runtime_id, "python-3.11");
  EXPECT_EQ(b->job.image, "python:3.11");
  EXPECT_EQ(b->job.platform, "docker");
  ASSERT_EQ(b->job.files.size(), 2u);
  EXPECT_EQ(b->job.files[1].path, "bin/x");
  EXPECT_EQ(b->job.files[1].content, std::string("\0\xff\n", 3));
  EXPECT_TRUE(b->job.files[1].executable);
  EXPECT_FALSE(b->job.files[0].executable);
  ASSERT_TRUE(b->job.build);
  EXPECT_EQ(b->job.build->argv, (std::vector<std::string>{"make", "all"}));
  EXPECT_EQ(b->job.build->limits.memory_bytes, 1u << 30);
  EXPECT_EQ(b->job.run.argv, (std::vector<std::string>{"python3", "main.py", ""}));
  EXPECT_EQ(b->job.run.env, (std::vector<std::string>{"PATH=/usr/bin"}));
  EXPECT_DOUBLE_EQ(b->job.run.limits.cpus, 0.25);
  EXPECT_EQ(b->job.run.limits.wall_time.count(), 12345);
  EXPECT_TRUE(b->job.run.limits.network);
  EXPECT_EQ(b->job.run.limits.pids, a.job.run.limits.pids);
  EXPECT_EQ(b->job.run.limits.stack_bytes, a.job.run.limits.stack_bytes);
  EXPECT_EQ(b->job.stdin_data, "input\n");
  EXPECT_EQ(b->job.memory_errors, (std::vector<std::string>{"MemoryError"}));
  EXPECT_TRUE(b->interactive);
  EXPECT_EQ(b->idle_limit.count(), 30000);
  EXPECT_EQ(b->quota.concurrent_runs, 3);
  EXPECT_EQ(b->quota.memory_bytes, 512u << 20);
  EXPECT_DOUBLE_EQ(b->quota.cpus, 1.5);

  RunRequest plain;
  auto c = DecodeRequest(EncodeRequest(plain));
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->job.build);
  EXPECT_TRUE(c->job.files.empty());
}

TEST(RequestCodec, RefusesCutOrForeignBytes) {
  const std::string bytes = EncodeRequest(Sample());
  for (size_t n : {size_t{0}, size_t{1}, size_t{9}, bytes.size() / 2, bytes.size() - 1}) {
    auto r = DecodeRequest(bytes.substr(0, n));
    EXPECT_FALSE(r) << "cut at " << n;
    if (!r) {
      EXPECT_EQ(r.error().kind, ErrorKind::kInvalid);
    }
  }
  EXPECT_FALSE(DecodeRequest(bytes + "x")) << "trailing bytes";
  std::string other = bytes;
  other[0] = 9;
  EXPECT_FALSE(DecodeRequest(other)) << "another format";
}

}  // namespace
}  // namespace runlet::runs
