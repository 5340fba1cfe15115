// Several `runlet serve --cluster` processes on one PostgreSQL (the test process's own,
// temp_postgres.h): runs submitted to one server execute on another with room, a
// server killed with SIGKILL loses no queued run and its running one ends as
// internal_error/server_restart once its lease runs out, stops and supersedes reach a
// run on another server, and a client of one server follows (and resumes) the live log
// of a run executing on another.
#include <signal.h>
#include <sys/wait.h>

#include <set>
#include <thread>

#include "server_test.h"
#include "temp_postgres.h"

namespace runlet::testing {
namespace {

constexpr double kLeaseSeconds = 2;

class Cluster : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      database_ = SharedPostgres().NewDatabase();
    } catch (const std::exception& e) {
      FAIL() << e.what();
    }
  }

  void TearDown() override {
    for (size_t i = 0; i < servers_.size(); ++i) {
      auto& s = servers_[i];
      if (!s || !s->running()) continue;
      s->Signal(SIGTERM);
      auto status = s->Wait(30s);
      EXPECT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
          << "server " << i << " did not exit 0 on SIGTERM";
    }
    if (HasFailure()) {
      for (size_t i = 0; i < servers_.size(); ++i) {
        if (servers_[i]) std::cerr << "--- server " << i << "'s log (tail) ---\n" << servers_[i]->LogTail(6000) << "\n";
      }
    }
    servers_.clear();
  }

  // Starts server `i` (a data directory of its own, the shared database) and signs the
  // test's user up (first server) or in; every request then carries its token.
  ServerProcess& Start(size_t i, int capacity) {
    if (servers_.size() <= i) servers_.resize(i + 1);
    servers_[i] = ServerProcess::Start(dir_.path() + "/data" + std::to_string(i), dir_.path() + "/server" + std::to_string(i) + ".log",
                                       {"--database", database_, "--cluster", "--lease", std::to_string(kLeaseSeconds),
                                        "--capacity", std::to_string(capacity), "--user-executing", "8"});
    if (token_.empty()) {
      DefaultHeaders().clear();
      HttpClient http(servers_[i]->port());
      auto signup = http.Post("/api/v1/auth/signup", R"({"username":"tester","password":"tester-password"})");
      EXPECT_TRUE(signup.status == 201 || signup.status == 409) << signup.body;
      auto login = http.Post("/api/v1/auth/login", R"({"username":"tester","password":"tester-password"})");
      EXPECT_EQ(login.status, 200) << login.body;
      token_ = Str(login.Json(), "token");
      DefaultHeaders().emplace_back("Authorization", "Bearer " + token_);
    }
    return *servers_[i];
  }

  HttpClient Http(size_t i) { return HttpClient(servers_[i]->port()); }

  std::string StartExecute(size_t i, const json::value& request) {
    auto r = Http(i).Post("/api/v1/execute?wait=false", json::serialize(request));
    EXPECT_EQ(r.status, 202) << r.body;
    return Str(r.Json(), "id");
  }

  json::object GetRun(size_t i, const std::string& id) {
    auto r = Http(i).Get("/api/v1/runs/" + id);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Json().is_object() ? r.Json().as_object() : json::object{};
  }

  json::object WaitFor(size_t i, const std::string& id, const std::function<bool(const json::object&)>& done,
                       std::chrono::milliseconds timeout = 60s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    json::object run;
    while (std::chrono::steady_clock::now() < deadline) {
      run = GetRun(i, id);
      if (done(run)) return run;
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "run " << id << " did not get there in time; last seen: " << json::serialize(run);
    return run;
  }
  json::object WaitFinal(size_t i, const std::string& id, std::chrono::milliseconds timeout = 60s) {
    return WaitFor(i, id, [](const json::object& r) {
      const std::string s = Str(r, "status");
      return s != "queued" && s != "building" && s != "running";
    }, timeout);
  }
  json::object WaitRunning(size_t i, const std::string& id) {
    return WaitFor(i, id, [](const json::object& r) { return Str(r, "status") == "running"; });
  }

  TempDir dir_;
  std::string database_;
  std::string token_;
  std::vector<std::unique_ptr<ServerProcess>> servers_;
};

json::object Sleeper(double seconds, const std::string& marker = "started") {
  return PythonRequest("import time\nprint('" + marker + "', flush=True)\ntime.sleep(" + std::to_string(seconds) + ")\n",
                       {{"limits", json::object{{"wall", "120s"}}}});
}

TEST_F(Cluster, RunsSubmittedToAFullServerExecuteOnAnother) {
  Start(0, 1);
  Start(1, 2);
  // Three runs through server 0, which executes one at a time: they run side by side.
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(StartExecute(0, Sleeper(4)));
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  int most_running = 0;
  while (std::chrono::steady_clock::now() < deadline && most_running < 3) {
    int running = 0;
    for (const auto& id : ids) running += Str(GetRun(1, id), "status") == "running";
    most_running = std::max(most_running, running);
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(most_running, 3) << "server 0 has room for one run: the others should execute on server 1";
  for (const auto& id : ids) {
    auto run = WaitFinal(0, id);
    EXPECT_EQ(Str(run, "status"), "ok") << json::serialize(run);
  }
  // A waiting execute answered by server 1 while server 0 is busy.
  const std::string busy = StartExecute(0, Sleeper(30));
  WaitRunning(0, busy);
  auto r = Http(0).Post("/api/v1/execute", json::serialize(PythonRequest("print(6 * 7)\n")));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Str(r.Json(), "status"), "ok") << r.body;
  EXPECT_EQ(Str(r.Json(), "stdout"), "42\n") << r.body;
  auto stop = Http(1).Post("/api/v1/runs/" + busy + "/stop");
  EXPECT_EQ(stop.status, 200) << stop.body;
}

TEST_F(Cluster, AKilledServersRunEndsAsServerRestartAndItsQueuedRunsRunElsewhere) {
  Start(0, 1);
  const std::string running = StartExecute(0, Sleeper(60));
  WaitRunning(0, running);
  const std::string queued1 = StartExecute(0, Sleeper(0.2, "one"));
  const std::string queued2 = StartExecute(0, Sleeper(0.2, "two"));
  EXPECT_EQ(Str(GetRun(0, queued1), "status"), "queued");
  servers_[0]->Signal(SIGKILL);
  ASSERT_TRUE(servers_[0]->Wait(10s));
  const auto killed = std::chrono::steady_clock::now();
  Start(1, 2);
  const auto up = std::chrono::steady_clock::now();
  auto lost = WaitFinal(1, running, 30s);
  const auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  const auto since_up = ms(std::chrono::steady_clock::now() - up);
  EXPECT_EQ(Str(lost, "status"), "internal_error") << json::serialize(lost);
  EXPECT_EQ(Str(lost, "reason"), "server_restart") << json::serialize(lost);
  EXPECT_NE(Str(lost, "message").find("stopped renewing its lease"), std::string::npos) << json::serialize(lost);
  // The bound once another server is up: what is left of the lease, then one sweep (a
  // third of it), polled every 50 ms here.
  EXPECT_LT(since_up, static_cast<int64_t>(kLeaseSeconds * 1000 * 4 / 3) + 1000)
      << since_up << " ms after server 1 came up, " << ms(std::chrono::steady_clock::now() - killed) << " ms after the kill";
  for (const auto& id : {queued1, queued2}) {
    auto run = WaitFinal(1, id);
    EXPECT_EQ(Str(run, "status"), "ok") << "a queued run of the dead server runs elsewhere: " << json::serialize(run);
  }
}

TEST_F(Cluster, StopAndSupersedeReachARunOnAnotherServer) {
  Start(1, 2);
  // Both runs execute on server 1, the only one up.
  const std::string long_run = StartExecute(1, Sleeper(60));
  auto project = Http(1).Post("/api/v1/projects", json::serialize(json::object{{"name", "p"}, {"runtime", "python-3.11"}}));
  ASSERT_EQ(project.status, 201) << project.body;
  const std::string pid = Str(project.Json(), "id");
  ASSERT_EQ(Http(1).Put("/api/v1/projects/" + pid + "/files/main.py",
                        "import sys, time\nprint('go', flush=True)\ntime.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 60)\n")
                .status,
            201);
  auto first = Http(1).Post("/api/v1/projects/" + pid + "/runs");
  ASSERT_EQ(first.status, 202) << first.body;
  const std::string first_id = Str(first.Json(), "id");
  WaitRunning(1, long_run);
  WaitRunning(1, first_id);

  Start(0, 2);
  const auto asked = std::chrono::steady_clock::now();
  auto stop = Http(0).Post("/api/v1/runs/" + long_run + "/stop");
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - asked);
  ASSERT_EQ(stop.status, 200) << stop.body;
  EXPECT_EQ(Str(stop.Json(), "status"), "cancelled") << stop.body;
  EXPECT_EQ(Str(stop.Json(), "reason"), "user") << stop.body;
  EXPECT_LT(took.count(), 5000) << "the stop took " << took.count() << " ms through the other server";

  // A new run of the project through server 0 supersedes the one on server 1.
  auto second = Http(0).Post("/api/v1/projects/" + pid + "/runs");
  ASSERT_EQ(second.status, 202) << second.body;
  auto superseded = WaitFinal(0, first_id, 10s);
  EXPECT_EQ(Str(superseded, "status"), "cancelled") << json::serialize(superseded);
  EXPECT_EQ(Str(superseded, "reason"), "superseded") << json::serialize(superseded);
  const std::string second_id = Str(second.Json(), "id");
  WaitRunning(0, second_id);
  auto stop2 = Http(1).Post("/api/v1/runs/" + second_id + "/stop");
  EXPECT_EQ(stop2.status, 200) << stop2.body;
  // A finished run cannot be stopped, on either server.
  EXPECT_TRUE(IsError(Http(0).Post("/api/v1/runs/" + long_run + "/stop"), 409, "conflict"));
}

TEST_F(Cluster, AClientOfOneServerFollowsTheLiveLogOfARunOnAnotherAndResumes) {
  Start(0, 1);
  Start(1, 2);
  // Server 0 stopped while the run is submitted: server 1 claims it.
  servers_[0]->Signal(SIGSTOP);
  const std::string id = StartExecute(1, PythonRequest(
      "import time\nfor i in range(1, 17):\n    print(f'tick {i}', flush=True)\n    time.sleep(0.25)\n",
      {{"limits", json::object{{"wall", "60s"}}}}));
  WaitRunning(1, id);
  servers_[0]->Signal(SIGCONT);
  SseStream events(servers_[0]->port(), "/api/v1/runs/" + id + "/events");
  ASSERT_EQ(events.status(), 200) << events.error_body();
  std::vector<std::string> lines;
  std::string status_at_first_log, end;
  int64_t last_id = 0;
  while (auto e = events.Next(30s)) {
    if (e->event == "log") {
      if (status_at_first_log.empty()) status_at_first_log = Str(GetRun(0, id), "status");
      lines.push_back(Str(json::parse(e->data), "text"));
      last_id = std::stoll(e->id);
      if (lines.size() == 4) break;  // the client goes away for a while
    }
  }
  EXPECT_EQ(status_at_first_log, "running") << "the log did not arrive live";
  ASSERT_EQ(lines.size(), 4u);
  // Resume through the same server from the last event seen: no line lost or repeated.
  SseStream resumed(servers_[0]->port(), "/api/v1/runs/" + id + "/events",
                    {{"Last-Event-ID", std::to_string(last_id)}});
  ASSERT_EQ(resumed.status(), 200) << resumed.error_body();
  while (auto e = resumed.Next(30s)) {
    if (e->event == "log") lines.push_back(Str(json::parse(e->data), "text"));
    if (e->event == "end") end = e->data;
  }
  ASSERT_TRUE(resumed.closed());
  ASSERT_EQ(lines.size(), 16u);
  for (size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(lines[i], "tick " + std::to_string(i + 1));
  EXPECT_EQ(Str(json::parse(end), "status"), "ok") << end;
}

TEST_F(Cluster, ADrainingServerFinishesItsRunsAndLeavesItsQueueToOthers) {
  Start(0, 1);
  auto health = Http(0).Get("/healthz");
  EXPECT_EQ(health.status, 200) << health.body;
  EXPECT_EQ(Str(health.Json(), "database"), "ok") << health.body;
  const std::string id = StartExecute(0, Sleeper(2));
  WaitRunning(0, id);
  const std::string waiting = StartExecute(0, Sleeper(0.1, "later"));
  servers_[0]->Signal(SIGTERM);
  auto status = servers_[0]->Wait(30s);
  ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
  Start(1, 1);
  auto run = WaitFinal(1, id);
  EXPECT_EQ(Str(run, "status"), "ok") << "a draining server finishes its runs: " << json::serialize(run);
  auto later = WaitFinal(1, waiting);
  EXPECT_EQ(Str(later, "status"), "ok") << "the queued run went to the other server: " << json::serialize(later);
}

TEST_F(Cluster, NeedsPostgres) {
  TempDir dir;
  EXPECT_THROW(ServerProcess::Start(dir.path() + "/data", dir.path() + "/log", {"--cluster"}, 30s), std::runtime_error);
}

}  // namespace
}  // namespace runlet::testing
