#include "core/result_json.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>
#include <string>

#include "core/utf8.h"

namespace runlet {
namespace {

namespace json = boost::json;

RunResult TimeLimitResult() {
  RunResult r;
  r.status = RunStatus::kTimeLimit;
  r.signal = 9;
  r.cpu_time_ms = 2003;
  r.wall_time_ms = 2011;
  r.memory_peak_bytes = 1327104;
  r.stdout_data = "partial\n";
  r.stdout_truncated = true;
  r.message = "CPU time limit 2000 ms exceeded";
  return r;
}

// The fields of the result object in ../shared/API.md.
const std::set<std::string> kContractFields = {
    "status",           "exit_code",        "signal",  "cpu_time_ms", "wall_time_ms",
    "memory_peak_bytes", "stdout",          "stderr",  "stdout_truncated",
    "stderr_truncated", "message",          "build"};

TEST(ResultToJson, HasEveryFieldOfTheContractWithItsType) {
  const json::object o = ResultToJson(TimeLimitResult());
  for (const auto& field : kContractFields) EXPECT_TRUE(o.contains(field)) << field;
  EXPECT_EQ(o.at("status"), "time_limit");
  EXPECT_TRUE(o.at("exit_code").is_null());
  EXPECT_EQ(o.at("signal").to_number<int64_t>(), 9);
  EXPECT_EQ(o.at("cpu_time_ms").to_number<int64_t>(), 2003);
  EXPECT_EQ(o.at("wall_time_ms").to_number<int64_t>(), 2011);
  EXPECT_EQ(o.at("memory_peak_bytes").to_number<uint64_t>(), 1327104u);
  EXPECT_EQ(o.at("stdout"), "partial\n");
  EXPECT_EQ(o.at("stderr"), "");
  EXPECT_EQ(o.at("stdout_truncated"), true);
  EXPECT_EQ(o.at("stderr_truncated"), false);
  EXPECT_EQ(o.at("message"), "CPU time limit 2000 ms exceeded");
  EXPECT_TRUE(o.at("build").is_null());
}

TEST(ResultToJson, ReportsTheLimitsARunHadAndReadsThemBack) {
  RunResult r = TimeLimitResult();
  EXPECT_FALSE(ResultToJson(r).contains("limits"));
  Limits l;
  l.cpu_time = std::chrono::milliseconds(500);
  l.memory_bytes = 64ull << 20;
  l.disk_bytes = 1ull << 20;
  l.cpus = 0.5;
  r.limits = l;
  const json::object o = ResultToJson(r);
  EXPECT_EQ(o.at("limits").at("time"), "500ms");
  EXPECT_EQ(o.at("limits").at("memory").to_number<uint64_t>(), 64ull << 20);
  const RunResult back = ResultFromJson(o);
  ASSERT_TRUE(back.limits);
  EXPECT_EQ(back.limits->cpu_time, std::chrono::milliseconds(500));
  EXPECT_EQ(back.limits->memory_bytes, 64ull << 20);
  EXPECT_EQ(back.limits->disk_bytes, 1ull << 20);
  EXPECT_EQ(back.limits->cpus, 0.5);
  EXPECT_EQ(json::serialize(ResultToJson(back)), json::serialize(o));
}

TEST(ResultToJson, AddsNoFieldsBeyondTheContractExceptDocumentedExtras) {
  RunResult r = TimeLimitResult();
  r.cgroup_version = "v1";
  r.reason = "user";
  r.stdout_clipped = r.stderr_clipped = true;
  r.limits = Limits{};
  const json::object o = ResultToJson(r);
  for (const auto& kv : o) {
    const std::string key(kv.key());
    EXPECT_TRUE(kContractFields.count(key) || key == "cgroup" || key == "reason" || key == "stdout_clipped" ||
                key == "stderr_clipped" || key == "limits")
        << key;
  }
  EXPECT_EQ(o.at("reason"), "user");
}

TEST(ResultToJson, GivesExitCodeAndNullSignalForANormalExit) {
  RunResult r;
  r.status = RunStatus::kRuntimeError;
  r.exit_code = 1;
  const json::object o = ResultToJson(r);
  EXPECT_EQ(o.at("status"), "runtime_error");
  EXPECT_EQ(o.at("exit_code").to_number<int64_t>(), 1);
  EXPECT_TRUE(o.at("signal").is_null());
}

TEST(ResultToJson, NestsTheBuildResultWithTheSameFields) {
  RunResult build;
  build.status = RunStatus::kCompileError;
  build.exit_code = 1;
  build.stderr_data = "main.c:1: error";
  RunResult run;
  run.status = RunStatus::kCompileError;
  const json::object o = ResultToJson(run, &build);
  ASSERT_TRUE(o.at("build").is_object());
  const json::object& b = o.at("build").as_object();
  for (const auto& field : kContractFields) EXPECT_TRUE(b.contains(field)) << field;
  EXPECT_EQ(b.at("status"), "compile_error");
  EXPECT_EQ(b.at("stderr"), "main.c:1: error");
  EXPECT_TRUE(b.at("build").is_null());
}

TEST(ResultToJson, TurnsInvalidUtf8OutputIntoReplacementCharacters) {
  RunResult r;
  r.status = RunStatus::kOk;
  r.exit_code = 0;
  r.stdout_data = "caf\xC3\xA9 \xFF\xFE ok";
  r.stderr_data = "\xED\xA0\x80";  // a surrogate
  const json::object o = ResultToJson(r);
  const std::string out(o.at("stdout").as_string());
  const std::string err(o.at("stderr").as_string());
  EXPECT_EQ(out, "caf\xC3\xA9 \xEF\xBF\xBD\xEF\xBF\xBD ok");
  EXPECT_TRUE(IsValidUtf8(err));
  EXPECT_NE(err.find("\xEF\xBF\xBD"), std::string::npos);
  // And the serialized document is valid UTF-8 that parses back to the same text.
  const std::string text = json::serialize(o);
  EXPECT_TRUE(IsValidUtf8(text));
  EXPECT_EQ(json::parse(text).as_object().at("stdout").as_string(), out);
}

}  // namespace
}  // namespace runlet
