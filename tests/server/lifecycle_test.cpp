// The life of a project run, seen through the API: queued -> running -> ok, every step
// persisted in the store (it survives a restart of the server).
#include <signal.h>

#include <set>

#include "server_test.h"

namespace runlet::testing {
namespace {

using Lifecycle = ServerTest;

constexpr const char* kSlowHello =
    "import time\n"
    "print('hello', flush=True)\n"
    "time.sleep(1.0)\n"
    "print('bye')\n";

TEST_F(Lifecycle, AProjectRunGoesFromQueuedToRunningToOkAndItsRecordIsPersisted) {
  const std::string project = CreateProject("python-3.11", {{"main.py", kSlowHello}});
  auto start = http().Post("/api/v1/projects/" + project + "/runs");
  ASSERT_EQ(start.status, 202) << start.body;
  const auto created = start.Json();
  EXPECT_EQ(Str(created, "status"), "queued");
  EXPECT_EQ(Str(created, "project_id"), project);
  EXPECT_EQ(Str(created, "runtime"), "python-3.11");
  EXPECT_TRUE(created.at("finished_at").is_null());
  EXPECT_TRUE(created.at("exit_code").is_null());
  const std::string id = Str(created, "id");
  ASSERT_EQ(id.size(), 20u) << id;

  // Poll: the statuses seen are an ordered walk through queued, running, ok.
  std::vector<std::string> seen;
  json::object last = WaitForRun(id, [&](const json::object& run) {
    const std::string status = Str(run, "status");
    if (seen.empty() || seen.back() != status) seen.push_back(status);
    return status != "queued" && status != "building" && status != "running";
  });
  const std::vector<std::string> order = {"queued", "running", "ok"};
  size_t at = 0;
  for (const auto& s : seen) {
    while (at < order.size() && order[at] != s) ++at;
    ASSERT_LT(at, order.size()) << "unexpected status sequence ending in " << s;
  }
  EXPECT_NE(std::find(seen.begin(), seen.end(), "running"), seen.end()) << "never saw the run running";
  EXPECT_EQ(seen.back(), "ok");

  EXPECT_EQ(last.at("exit_code").as_int64(), 0);
  EXPECT_TRUE(last.at("signal").is_null());
  EXPECT_EQ(Str(last, "version_id").size(), 20u);
  EXPECT_EQ(Str(last, "platform"), "native");
  EXPECT_GE(last.at("wall_time_ms").as_int64(), 1000);
  EXPECT_FALSE(last.at("started_at").is_null());
  EXPECT_FALSE(last.at("finished_at").is_null());
  EXPECT_LE(Str(last, "created_at"), Str(last, "started_at"));
  EXPECT_LE(Str(last, "started_at"), Str(last, "finished_at"));

  // The project's history lists it; the logs hold both lines.
  auto history = http().Get("/api/v1/projects/" + project + "/runs");
  ASSERT_EQ(history.status, 200);
  ASSERT_EQ(history.Json().as_array().size(), 1u);
  EXPECT_EQ(Str(history.Json().as_array()[0], "id"), id);
  auto logs = http().Get("/api/v1/runs/" + id + "/logs");
  ASSERT_EQ(logs.status, 200);
  EXPECT_EQ(logs.Json().at("entries").as_array().size(), 2u) << logs.body;

  // Persisted: a restarted server on the same data answers the same.
  ASSERT_EQ(StopServer(SIGTERM), 0);
  StartServer();
  auto again = GetRun(id);
  EXPECT_EQ(Str(again, "status"), "ok");
  EXPECT_EQ(again.at("exit_code").as_int64(), 0);
  EXPECT_EQ(Str(again, "finished_at"), Str(last, "finished_at"));
  EXPECT_EQ(Str(again, "version_id"), Str(last, "version_id"));
  auto logs_again = http().Get("/api/v1/runs/" + id + "/logs");
  EXPECT_EQ(logs_again.body, logs.body);
}

TEST_F(Lifecycle, ACompiledRunPassesThroughBuildingAndRunning) {
  const std::string project = CreateProject("c-gcc-12", {{"main.c",
                                                          "#include <stdio.h>\n#include <unistd.h>\n"
                                                          "int main(void) { puts(\"built\"); fflush(stdout);\n"
                                                          "  usleep(700000); return 0; }\n"}});
  const std::string id = StartProjectRun(project);
  SseStream events(http().port(), "/api/v1/runs/" + id + "/events");
  ASSERT_EQ(events.status(), 200) << events.error_body();
  std::vector<std::string> statuses;
  std::string end;
  while (auto e = events.Next(60s)) {
    if (e->event == "status") statuses.push_back(Str(json::parse(e->data), "status"));
    if (e->event == "end") end = e->data;
  }
  ASSERT_FALSE(end.empty()) << "no end event";
  EXPECT_EQ(Str(json::parse(end), "status"), "ok") << end;
  EXPECT_TRUE(json::parse(end).at("build").is_object()) << end;
  // The build phase takes a compiler's start-up, the run phase 0.7 s: both are seen.
  EXPECT_NE(std::find(statuses.begin(), statuses.end(), "building"), statuses.end());
  EXPECT_NE(std::find(statuses.begin(), statuses.end(), "running"), statuses.end());
  ASSERT_FALSE(statuses.empty());
  EXPECT_EQ(statuses.back(), "ok");
}

TEST_F(Lifecycle, ProjectFilesVersionsAndRestoreWork) {
  const std::string project = CreateProject("python-3.11", {{"main.py", "print('v1')\n"}, {"lib/util.py", "X = 1\n"}});
  const std::string first = StartProjectRun(project);
  EXPECT_EQ(Str(WaitFinal(first), "status"), "ok");
  ASSERT_EQ(http().Put("/api/v1/projects/" + project + "/files/main.py", "print('v2')\n").status, 200);
  const std::string second = StartProjectRun(project);
  EXPECT_EQ(Str(WaitFinal(second), "status"), "ok");

  auto files = http().Get("/api/v1/projects/" + project + "/files");
  ASSERT_EQ(files.status, 200);
  EXPECT_EQ(files.Json().as_array().size(), 2u) << files.body;
  EXPECT_EQ(http().Get("/api/v1/projects/" + project + "/files/lib/util.py").body, "X = 1\n");

  auto versions = http().Get("/api/v1/projects/" + project + "/versions");
  ASSERT_EQ(versions.status, 200);
  ASSERT_EQ(versions.Json().as_array().size(), 2u) << versions.body;
  // Each run names the version it ran; restoring the first brings v1 back.
  const std::string v1 = Str(GetRun(first), "version_id");
  EXPECT_NE(v1, Str(GetRun(second), "version_id"));
  auto restore = http().Post("/api/v1/projects/" + project + "/versions/" + v1 + "/restore");
  ASSERT_EQ(restore.status, 200) << restore.body;
  EXPECT_EQ(http().Get("/api/v1/projects/" + project + "/files/main.py").body, "print('v1')\n");
  EXPECT_TRUE(IsError(http().Post("/api/v1/projects/" + project + "/versions/nope/restore"), 404, "not_found"));

  auto del = http().Delete("/api/v1/projects/" + project + "/files/lib/util.py");
  EXPECT_EQ(del.status, 204);
  EXPECT_TRUE(IsError(http().Get("/api/v1/projects/" + project + "/files/lib/util.py"), 404, "not_found"));
  EXPECT_EQ(http().Delete("/api/v1/projects/" + project).status, 204);
  EXPECT_TRUE(IsError(http().Get("/api/v1/projects/" + project), 404, "not_found"));
}

TEST_F(Lifecycle, HealthzRuntimesAndMetricsAnswer) {
  auto health = http().Get("/healthz");
  ASSERT_EQ(health.status, 200) << health.body;
  EXPECT_EQ(Str(health.Json(), "status"), "ok");
  EXPECT_EQ(Str(health.Json(), "platform"), "native");

  auto runtimes = http().Get("/api/v1/runtimes");
  ASSERT_EQ(runtimes.status, 200);
  std::set<std::string> ids;
  for (const auto& rt : runtimes.Json().as_array()) {
    ids.insert(Str(rt, "id"));
    for (const char* key : {"id", "language", "version", "name", "os", "arch", "description", "main_file"}) {
      EXPECT_TRUE(rt.as_object().if_contains(key)) << key << " missing in " << json::serialize(rt);
    }
    EXPECT_TRUE(rt.at("faq").is_array());
  }
  EXPECT_TRUE(ids.count("python-3.11"));
  EXPECT_EQ(http().Get("/api/v1/faq").status, 200);

  ASSERT_EQ(Execute(PythonRequest("print(1)")).status, 200);
  auto metrics = http().Get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.Header("content-type").find("text/plain"), std::string::npos);
  EXPECT_NE(metrics.body.find("runlet_runs_total"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("runlet_http_requests_total"), std::string::npos);
}

}  // namespace
}  // namespace runlet::testing
