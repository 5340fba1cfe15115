// Who may run, and what ends a run early: one active run per project (supersede), the
// per-user concurrency quota (429), the bounded queue (503), and stop.
#include "server_test.h"

#include <thread>

namespace runlet::testing {
namespace {

// Prints a line (so the test knows it runs), then sleeps for a minute.
constexpr const char* kSleeper =
    "import time\n"
    "print('started', flush=True)\n"
    "time.sleep(60)\n"
    "print('not reached')\n";

json::object LongRequest() { return PythonRequest(kSleeper, {{"limits", json::object{{"wall", "120s"}}}}); }

class Admission : public ServerTest {
  // Two executors, whatever the machine, both for the one user of these tests.
  std::vector<std::string> ServerArgs() const override { return {"--capacity", "2", "--user-executing", "2"}; }
};

TEST_F(Admission, StartingASecondRunInAProjectSupersedesTheFirst) {
  const std::string project = CreateProject("python-3.11", {{"main.py",
                                                             "import time, sys\n"
                                                             "print('started', flush=True)\n"
                                                             "time.sleep(float(sys.stdin.read() or 2))\n"}});
  auto first_start = http().Post("/api/v1/projects/" + project + "/runs", R"({"stdin": "4"})");
  ASSERT_EQ(first_start.status, 202) << first_start.body;
  const std::string first = Str(first_start.Json(), "id");
  started_runs_.push_back(first);
  WaitForOutput(first);

  auto second_start = http().Post("/api/v1/projects/" + project + "/runs", R"({"stdin": "0.5"})");
  ASSERT_EQ(second_start.status, 202) << second_start.body;
  const std::string second = Str(second_start.Json(), "id");
  started_runs_.push_back(second);

  const auto superseded = WaitFinal(first, 30s);
  EXPECT_EQ(Str(superseded, "status"), "cancelled");
  EXPECT_EQ(Str(superseded, "reason"), "superseded");
  EXPECT_LT(superseded.at("wall_time_ms").as_int64(), 4000) << "the first run was not stopped early";
  const auto replacement = WaitFinal(second, 30s);
  EXPECT_EQ(Str(replacement, "status"), "ok") << json::serialize(replacement);

  // History, newest first.
  auto history = http().Get("/api/v1/projects/" + project + "/runs");
  ASSERT_EQ(history.status, 200);
  const auto& runs = history.Json().as_array();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(Str(runs[0], "id"), second);
  EXPECT_EQ(Str(runs[1], "id"), first);
}

TEST_F(Admission, ARunSupersededDuringItsBuildIsCancelledNotACompileError) {
  // javac takes a second or more to start: long enough to be caught building.
  const std::string project = CreateProject("java-17", {{"Main.java",
                                                         "public class Main {\n"
                                                         "  public static void main(String[] a) { System.out.println(\"hi\"); }\n"
                                                         "}\n"}});
  const std::string first = StartProjectRun(project);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  std::string status;
  while (std::chrono::steady_clock::now() < deadline && (status = Str(GetRun(first), "status")) != "building")
    std::this_thread::sleep_for(5ms);
  ASSERT_EQ(status, "building");
  const std::string second = StartProjectRun(project);
  const auto superseded = WaitFinal(first, 30s);
  EXPECT_EQ(Str(superseded, "status"), "cancelled") << json::serialize(superseded);
  EXPECT_EQ(Str(superseded, "reason"), "superseded");
  const auto replacement = WaitFinal(second, 60s);
  EXPECT_EQ(Str(replacement, "status"), "ok") << json::serialize(replacement);
}

TEST_F(Admission, ASupersededQueuedRunIsCancelledBeforeItStarts) {
  // Fill both executors with other work, so the project's runs wait in the queue.
  const std::string a = StartExecute(LongRequest());
  const std::string b = StartExecute(LongRequest());
  WaitForOutput(a);
  WaitForOutput(b);
  const std::string project = CreateProject("python-3.11", {{"main.py", "print('hi')\n"}});
  const std::string first = StartProjectRun(project);
  EXPECT_EQ(Str(GetRun(first), "status"), "queued");
  const std::string second = StartProjectRun(project);
  const auto superseded = WaitFinal(first, 10s);
  EXPECT_EQ(Str(superseded, "status"), "cancelled");
  EXPECT_EQ(Str(superseded, "reason"), "superseded");
  EXPECT_TRUE(superseded.at("started_at").is_null()) << json::serialize(superseded);
  EXPECT_EQ(Str(GetRun(second), "status"), "queued");
}

class AdmissionWithQuota : public ServerTest {
  // Two runs per user; four executors, so only the quota refuses.
  std::vector<std::string> ServerArgs() const override { return {"--user-runs", "2", "--capacity", "4"}; }
};

TEST_F(AdmissionWithQuota, AUsersThirdConcurrentRunIsRefusedWith429AndRetryAfter) {
  const std::string a = StartExecute(LongRequest());
  const std::string b = StartExecute(LongRequest());
  auto third = Execute(LongRequest(), false);
  EXPECT_TRUE(IsError(third, 429, "too_many_requests"));
  EXPECT_EQ(third.Header("retry-after"), "1");
  // A synchronous execute is refused the same way, and so is a project run.
  EXPECT_TRUE(IsError(Execute(PythonRequest("print(1)")), 429, "too_many_requests"));
  const std::string project = CreateProject("python-3.11", {{"main.py", "print(1)\n"}});
  EXPECT_TRUE(IsError(http().Post("/api/v1/projects/" + project + "/runs"), 429, "too_many_requests"));

  // Once one ends, there is room again.
  auto stop = http().Post("/api/v1/runs/" + a + "/stop");
  ASSERT_EQ(stop.status, 200) << stop.body;
  auto fourth = Execute(PythonRequest("print(4)"));
  ASSERT_EQ(fourth.status, 200) << fourth.body;
  EXPECT_EQ(Str(fourth.Json(), "stdout"), "4\n");
}

class AdmissionWithSmallQueue : public ServerTest {
  std::vector<std::string> ServerArgs() const override { return {"--capacity", "1", "--queue", "1"}; }
};

TEST_F(AdmissionWithSmallQueue, AFullQueueRefusesRunsWith503AndRetryAfter) {
  const std::string executing = StartExecute(LongRequest());
  WaitStatus(executing, "running");
  const std::string waiting = StartExecute(LongRequest());
  EXPECT_EQ(Str(GetRun(waiting), "status"), "queued");

  auto refused = Execute(LongRequest(), false);
  EXPECT_TRUE(IsError(refused, 503, "unavailable"));
  EXPECT_EQ(refused.Header("retry-after"), "1");
  auto health = http().Get("/healthz");
  EXPECT_EQ(health.Json().at("runs_executing").as_int64(), 1);
  EXPECT_EQ(health.Json().at("runs_queued").as_int64(), 1);

  // Stopping the queued run frees its place; it never started.
  auto stop = http().Post("/api/v1/runs/" + waiting + "/stop");
  ASSERT_EQ(stop.status, 200) << stop.body;
  EXPECT_EQ(Str(stop.Json(), "status"), "cancelled");
  EXPECT_EQ(Str(stop.Json(), "reason"), "user");
  EXPECT_TRUE(stop.Json().at("started_at").is_null());
  const std::string next = StartExecute(LongRequest());
  EXPECT_EQ(Str(GetRun(next), "status"), "queued");
}

TEST_F(Admission, StoppingARunCancelsItWithReasonUser) {
  const std::string id = StartExecute(LongRequest());
  WaitForOutput(id);
  auto stop = http().Post("/api/v1/runs/" + id + "/stop");
  ASSERT_EQ(stop.status, 200) << stop.body;
  const auto stopped = stop.Json();
  EXPECT_EQ(Str(stopped, "status"), "cancelled");
  EXPECT_EQ(Str(stopped, "reason"), "user");
  EXPECT_LT(stopped.at("wall_time_ms").as_int64(), 30000);
  EXPECT_FALSE(stopped.at("finished_at").is_null());
  // What the stop answered is what the store holds.
  const auto stored = GetRun(id);
  EXPECT_EQ(Str(stored, "status"), "cancelled");
  EXPECT_EQ(Str(stored, "reason"), "user");
  EXPECT_EQ(Str(stored, "stdout"), "started\n");

  // A finished run cannot be stopped again; an unknown one does not exist.
  EXPECT_TRUE(IsError(http().Post("/api/v1/runs/" + id + "/stop"), 409, "conflict"));
  EXPECT_TRUE(IsError(http().Post("/api/v1/runs/aaaaaaaaaaaaaaaaaaaa/stop"), 404, "not_found"));
}

}  // namespace
}  // namespace runlet::testing
