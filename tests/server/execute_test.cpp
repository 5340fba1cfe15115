// The stateless execute API: a synchronous result with the fields of API.md, the
// asynchronous form (?wait=false, then GET /runs/{id}), and batches.
#include "server_test.h"

namespace runlet::testing {
namespace {

using ExecuteApi = ServerTest;

// RFC 3339 UTC with milliseconds: 2026-11-25T02:28:22.123Z.
bool IsTimestamp(const json::value& v) {
  if (!v.is_string()) return false;
  const std::string s(v.as_string());
  const std::string shape = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (s.size() != shape.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (shape[i] == 'd' ? !std::isdigit(static_cast<unsigned char>(s[i])) : s[i] != shape[i]) return false;
  }
  return true;
}

TEST_F(ExecuteApi, ASynchronousExecuteReturnsTheWholeResult) {
  auto r = Execute(PythonRequest(
      "import os, sys\n"
      "data = sys.stdin.read()\n"
      "print('stdin:', data.upper(), end='')\n"
      "print('args:', ' '.join(sys.argv[1:]))\n"
      "print('env:', os.environ['GREETING'])\n"
      "print('to stderr', file=sys.stderr)\n",
      {{"stdin", "some input\n"}, {"args", json::array{"one", "two words"}}, {"env", json::object{{"GREETING", "hi"}}}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/json");
  const auto result = r.Json().as_object();
  EXPECT_EQ(Str(result, "status"), "ok");
  EXPECT_EQ(result.at("exit_code").as_int64(), 0);
  EXPECT_TRUE(result.at("signal").is_null());
  EXPECT_GE(result.at("cpu_time_ms").as_int64(), 0);
  EXPECT_GT(result.at("wall_time_ms").as_int64(), 0);
  EXPECT_GT(result.at("memory_peak_bytes").as_int64(), 0);
  EXPECT_EQ(Str(result, "stdout"), "stdin: SOME INPUT\nargs: one two words\nenv: hi\n");
  EXPECT_EQ(Str(result, "stderr"), "to stderr\n");
  EXPECT_FALSE(result.at("stdout_truncated").as_bool());
  EXPECT_FALSE(result.at("stderr_truncated").as_bool());
  EXPECT_TRUE(result.at("message").is_string());
  EXPECT_TRUE(result.at("build").is_null());
  EXPECT_EQ(Str(result, "id").size(), 20u);
  EXPECT_EQ(Str(result, "runtime"), "python-3.11");
  EXPECT_EQ(Str(result, "platform"), "native");
  EXPECT_TRUE(result.at("project_id").is_null());
  EXPECT_TRUE(IsTimestamp(result.at("created_at"))) << result.at("created_at");
  EXPECT_TRUE(IsTimestamp(result.at("started_at")));
  EXPECT_TRUE(IsTimestamp(result.at("finished_at")));
  // The run is kept: GET /runs/{id} answers the same result.
  const auto stored = GetRun(Str(result, "id"));
  EXPECT_EQ(Str(stored, "stdout"), Str(result, "stdout"));
  EXPECT_EQ(stored.at("wall_time_ms"), result.at("wall_time_ms"));
}

TEST_F(ExecuteApi, FinalStatusesNameWhatEndedTheRun) {
  auto exit3 = Execute(PythonRequest("import sys\nprint('bye')\nsys.exit(3)\n")).Json();
  EXPECT_EQ(Str(exit3, "status"), "runtime_error");
  EXPECT_EQ(exit3.at("exit_code").as_int64(), 3);
  EXPECT_EQ(Str(exit3, "stdout"), "bye\n");

  auto spin = Execute(PythonRequest("while True: pass\n", {{"limits", json::object{{"time", "300ms"}}}})).Json();
  EXPECT_EQ(Str(spin, "status"), "time_limit");
  EXPECT_GE(spin.at("cpu_time_ms").as_int64(), 300);
  EXPECT_TRUE(spin.at("exit_code").is_null());

  auto chatty = Execute(PythonRequest("print('x' * 5000)\n", {{"limits", json::object{{"output", "1K"}}}})).Json();
  EXPECT_EQ(Str(chatty, "status"), "output_limit");
  EXPECT_TRUE(chatty.at("stdout_truncated").as_bool());
  EXPECT_EQ(Str(chatty, "stdout").size(), 1024u);

  auto broken = Execute(json::object{{"runtime", "c-gcc-12"},
                                     {"files", json::array{json::object{{"name", "main.c"}, {"content", "int main( {"}}}}})
                    .Json();
  EXPECT_EQ(Str(broken, "status"), "compile_error");
  ASSERT_TRUE(broken.at("build").is_object()) << broken;
  EXPECT_NE(Str(broken.at("build"), "stderr").find("error"), std::string::npos);

  auto c = Execute(json::object{{"runtime", "c-gcc-12"},
                                {"files", json::array{json::object{{"name", "main.c"},
                                                                   {"content", "#include <stdio.h>\n"
                                                                               "int main(void) { puts(\"hi\"); }\n"}}}}})
               .Json();
  EXPECT_EQ(Str(c, "status"), "ok") << c;
  EXPECT_EQ(Str(c, "stdout"), "hi\n");
  ASSERT_TRUE(c.at("build").is_object());
  EXPECT_EQ(Str(c.at("build"), "status"), "ok");
}

TEST_F(ExecuteApi, WaitFalseAnswers202AndTheRunIsFetchedLater) {
  auto r = Execute(PythonRequest("print('later')\n"), false);
  ASSERT_EQ(r.status, 202) << r.body;
  const auto accepted = r.Json();
  EXPECT_EQ(Str(accepted, "status"), "queued");
  const std::string id = Str(accepted, "id");
  ASSERT_EQ(id.size(), 20u);
  const auto final = WaitFinal(id);
  EXPECT_EQ(Str(final, "status"), "ok");
  EXPECT_EQ(Str(final, "stdout"), "later\n");
  EXPECT_EQ(final.at("exit_code").as_int64(), 0);
}

TEST_F(ExecuteApi, ABatchAnswersOneResultPerRequestInOrder) {
  json::array batch{PythonRequest("print('first')\n"), PythonRequest("import sys\nsys.exit(7)\n"),
                    PythonRequest("import sys\nprint(sys.stdin.read())\n", {{"stdin", "third"}})};
  auto r = http().Post("/api/v1/execute/batch", json::serialize(batch));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto& results = r.Json().as_array();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(Str(results[0], "stdout"), "first\n");
  EXPECT_EQ(Str(results[0], "status"), "ok");
  EXPECT_EQ(Str(results[1], "status"), "runtime_error");
  EXPECT_EQ(results[1].at("exit_code").as_int64(), 7);
  EXPECT_EQ(Str(results[2], "stdout"), "third\n");

  auto later = http().Post("/api/v1/execute/batch?wait=false", json::serialize(batch));
  ASSERT_EQ(later.status, 202) << later.body;
  const auto& accepted = later.Json().as_array();
  ASSERT_EQ(accepted.size(), 3u);
  const std::vector<std::string> want = {"ok", "runtime_error", "ok"};
  for (size_t i = 0; i < accepted.size(); ++i) {
    EXPECT_EQ(Str(accepted[i], "status"), "queued");
    EXPECT_EQ(Str(WaitFinal(Str(accepted[i], "id")), "status"), want[i]);
  }
  EXPECT_EQ(Str(GetRun(Str(accepted[2], "id")), "stdout"), "third\n");

  // One bad request refuses the whole batch, naming it.
  json::array bad{PythonRequest("print(1)\n"), json::object{{"runtime", "python-3.11"}}};
  auto refused = http().Post("/api/v1/execute/batch", json::serialize(bad));
  EXPECT_TRUE(IsError(refused, 400, "invalid_request"));
  EXPECT_NE(Str(refused.Json(), "message").find("request 1"), std::string::npos) << refused.body;
  EXPECT_TRUE(IsError(http().Post("/api/v1/execute/batch", "[]"), 400, "invalid_request"));
  EXPECT_TRUE(IsError(http().Post("/api/v1/execute/batch", "{}"), 400, "invalid_request"));
}

}  // namespace
}  // namespace runlet::testing
