// What the server keeps, attacked through the API: a run's log is bounded (a marker
// says where it was cut), runs can be deleted and execute runs are pruned, deleted
// projects give their file space back, projects and stored bytes have quotas, event
// streams per user are capped, and names that disguise themselves are refused.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstring>
#include <thread>

#include "accounts_test.h"

namespace runlet::testing {
namespace {

class Storage : public AccountsTest {
 protected:
  // PUT /admin/settings as a new admin; the settings it answers.
  json::object SetSettings(const json::object& settings) {
    if (admin_.empty()) admin_ = NewAdmin("root");
    auto r = Send("PUT", "/api/v1/admin/settings", As(admin_), json::serialize(settings));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.Json().as_object() : json::object{};
  }
  int64_t MyId() {
    auto me = http().Get("/api/v1/me");
    EXPECT_EQ(me.status, 200) << me.body;
    return me.Json().at("id").as_int64();
  }
  // Every entry of a run's log, read page by page.
  std::vector<json::object> AllEntries(const std::string& id) {
    std::vector<json::object> all;
    int64_t after = 0;
    for (int pages = 0; pages < 1000; ++pages) {
      auto r = http().Get("/api/v1/runs/" + id + "/logs?after=" + std::to_string(after) + "&limit=10000");
      EXPECT_EQ(r.status, 200) << r.body;
      if (r.status != 200) break;
      for (const auto& e : r.Json().at("entries").as_array()) all.push_back(e.as_object());
      after = r.Json().at("next").as_int64();
      if (r.Json().at("done").as_bool()) break;
    }
    return all;
  }
  // Whether GET /runs/{id} answers 404 within a few seconds (pruning follows the end of
  // the next run, just after its answer).
  bool Gone(const std::string& id) {
    for (int i = 0; i < 100; ++i) {
      if (http().Get("/api/v1/runs/" + id).status == 404) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  std::string admin_;
};

TEST_F(Storage, ARunsLogStopsAtTheBoundWithAMarkerAndTheResultSaysSo) {
  SetSettings({{"log_bytes_per_run", 200000}});
  // 1 MB of 100-byte lines (within the default output limit), then a last stderr line.
  const std::string id = StartExecute(PythonRequest(
      "import sys\nfor i in range(10000):\n    print('%099d' % i)\nprint('last', file=sys.stderr)\n"));
  const auto run = WaitFinal(id);
  EXPECT_EQ(Str(run, "status"), "ok") << json::serialize(run);
  ASSERT_TRUE(run.contains("log_truncated")) << json::serialize(run);
  EXPECT_TRUE(run.at("log_truncated").as_bool());
  EXPECT_EQ(Str(run, "stdout").size(), 1000000u) << "the result's own output is not cut by the log bound";

  const auto entries = AllEntries(id);
  ASSERT_FALSE(entries.empty());
  uint64_t bytes = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    ASSERT_EQ(entries[i].at("seq").as_int64(), static_cast<int64_t>(i + 1)) << "gapless";
    if (i + 1 < entries.size()) {
      EXPECT_EQ(Str(entries[i], "text"), [&] {
        char buf[128];
        std::snprintf(buf, sizeof buf, "%099zu", i);
        return std::string(buf);
      }());
      bytes += Str(entries[i], "text").size() + 1;
    }
  }
  EXPECT_LE(bytes, 200000u);
  EXPECT_GT(bytes, 199000u);
  const auto& marker = entries.back();
  EXPECT_EQ(Str(marker, "stream"), "stderr");
  EXPECT_NE(Str(marker, "text").find("cut"), std::string::npos) << Str(marker, "text");

  // The event stream ends the same way.
  SseStream events(http().port(), "/api/v1/runs/" + id + "/events", {{"Last-Event-ID", std::to_string(entries.size() - 2)}});
  std::vector<SseEvent> logs, all;
  while (auto e = events.Next(30s)) {
    all.push_back(*e);
    if (e->event == "log") logs.push_back(*e);
  }
  ASSERT_EQ(logs.size(), 2u);
  EXPECT_EQ(logs.back().id, std::to_string(entries.size()));
  EXPECT_NE(logs.back().data.find("cut"), std::string::npos);
  ASSERT_FALSE(all.empty());
  const auto& got = all;
  EXPECT_EQ(got.back().event, "end");
  EXPECT_NE(got.back().data.find("\"log_truncated\":true"), std::string::npos) << got.back().data;

  // Without a bound (0), the whole output is logged.
  SetSettings({{"log_bytes_per_run", 0}});
  const std::string whole = StartExecute(PythonRequest("for i in range(10000):\n    print('%099d' % i)\n"));
  const auto second = WaitFinal(whole);
  EXPECT_FALSE(second.contains("log_truncated"));
  EXPECT_EQ(AllEntries(whole).size(), 10000u);
}

TEST_F(Storage, UsersDeleteTheirOwnFinishedRunsOnly) {
  const std::string done = StartExecute(PythonRequest("print('hi')"));
  WaitFinal(done);
  const std::string other = NewUser("mallory");
  EXPECT_TRUE(IsError(Send("DELETE", "/api/v1/runs/" + done, As(other)), 404, "not_found"));
  EXPECT_EQ(http().Get("/api/v1/runs/" + done).status, 200) << "someone else's delete changed nothing";
  EXPECT_EQ(http().Delete("/api/v1/runs/" + done).status, 204);
  EXPECT_TRUE(IsError(http().Get("/api/v1/runs/" + done), 404, "not_found"));
  EXPECT_TRUE(IsError(http().Get("/api/v1/runs/" + done + "/logs"), 404, "not_found"));
  EXPECT_TRUE(IsError(http().Delete("/api/v1/runs/" + done), 404, "not_found"));

  // An active run: 409 until it has ended.
  const std::string active = StartExecute(
      PythonRequest("import time\nwhile True:\n    print('x', flush=True)\n    time.sleep(0.1)\n",
                    {{"limits", json::object{{"wall", "60s"}}}}));
  WaitForOutput(active);
  EXPECT_TRUE(IsError(http().Delete("/api/v1/runs/" + active), 409, "conflict"));
  ASSERT_EQ(http().Post("/api/v1/runs/" + active + "/stop").status, 200);
  EXPECT_EQ(http().Delete("/api/v1/runs/" + active).status, 204);

  // A project run leaves the project's history.
  const std::string project = CreateProject("python-3.11", {{"main.py", "print('p')"}});
  const std::string run = StartProjectRun(project);
  WaitFinal(run);
  EXPECT_EQ(http().Delete("/api/v1/runs/" + run).status, 204);
  auto history = http().Get("/api/v1/projects/" + project + "/runs");
  ASSERT_EQ(history.status, 200);
  EXPECT_TRUE(history.Json().as_array().empty()) << history.body;
}

TEST_F(Storage, ExecuteRunsArePrunedBeyondTheNewestPerUserAndByAge) {
  SetSettings({{"execute_runs_per_user", 2}, {"execute_runs_keep_days", 0}});
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    auto r = Execute(PythonRequest("print(" + std::to_string(i) + ")"));
    ASSERT_EQ(r.status, 200) << r.body;
    ids.push_back(Str(r.Json(), "id"));
  }
  EXPECT_TRUE(Gone(ids[0]));
  EXPECT_TRUE(Gone(ids[1]));
  EXPECT_EQ(http().Get("/api/v1/runs/" + ids[2]).status, 200);
  EXPECT_EQ(http().Get("/api/v1/runs/" + ids[3]).status, 200);
  // Another user's runs count apart.
  const std::string other = NewUser("other");
  ASSERT_EQ(Send("POST", "/api/v1/execute", As(other), json::serialize(PythonRequest("print(1)"))).status, 200);
  EXPECT_EQ(http().Get("/api/v1/runs/" + ids[3]).status, 200);

  // By age: 6e-5 days is 5.2 s.
  SetSettings({{"execute_runs_per_user", 0}, {"execute_runs_keep_days", 6e-5}});
  std::this_thread::sleep_for(7s);
  auto fresh = Execute(PythonRequest("print('new')"));
  ASSERT_EQ(fresh.status, 200) << fresh.body;
  EXPECT_TRUE(Gone(ids[3]));
  EXPECT_EQ(http().Get("/api/v1/runs/" + Str(fresh.Json(), "id")).status, 200);
}

uint64_t FileSize(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

TEST_F(Storage, DeletingAProjectGivesItsFileSpaceBack) {
  // Sizes are of the database file after a clean stop (the WAL checkpointed into it).
  const std::string db = data_dir() + "/runlet.db";
  ASSERT_EQ(StopServer(SIGTERM), 0);
  const uint64_t start = FileSize(db);
  StartServer();
  const std::string project = CreateProject("python-3.11", {{"main.py", "print(len(open('big.bin','rb').read()))"}});
  std::string big(1 << 20, '\0');
  for (int i = 0; i < 30; ++i) {
    for (size_t j = 0; j < big.size(); j += 8) {  // incompressible, new each time
      const uint64_t v = (static_cast<uint64_t>(i) + 1) * 0x9E3779B97F4A7C15ull * (j + 1);
      std::memcpy(&big[j], &v, 8);
    }
    ASSERT_EQ(http().Put("/api/v1/projects/" + project + "/files/big.bin", big).status, i == 0 ? 201 : 200);
    if (i == 10 || i == 20) WaitFinal(StartProjectRun(project));  // versions hold blobs too
  }
  ASSERT_EQ(http().Delete("/api/v1/projects/" + project).status, 204);
  ASSERT_EQ(StopServer(SIGTERM), 0);
  const uint64_t end = FileSize(db);
  EXPECT_LT(end, start + (512u << 10)) << "from " << start << " to " << end << " bytes";
  StartServer();
}

TEST_F(Storage, ProjectsAndStoredBytesHaveQuotas) {
  const int64_t me = MyId();
  admin_ = NewAdmin("root");
  auto patch = Send("PATCH", "/api/v1/admin/users/" + std::to_string(me), As(admin_),
                    R"({"quota": {"projects": 2, "stored_bytes": 3000}})");
  ASSERT_EQ(patch.status, 200) << patch.body;
  EXPECT_EQ(patch.Json().at("effective_quota").at("projects").as_int64(), 2);

  const std::string a = CreateProject("python-3.11", {});
  const std::string b = CreateProject("python-3.11", {});
  auto third = http().Post("/api/v1/projects", R"({"name": "three", "runtime": "python-3.11"})");
  EXPECT_TRUE(IsError(third, 403, "project_quota"));
  EXPECT_TRUE(IsError(http().Post("/api/v1/projects/" + a + "/fork"), 403, "project_quota"));

  EXPECT_EQ(http().Put("/api/v1/projects/" + a + "/files/one.txt", std::string(2000, 'a')).status, 201);
  EXPECT_TRUE(IsError(http().Put("/api/v1/projects/" + b + "/files/two.txt", std::string(1001, 'b')), 413,
                      "storage_quota"));
  EXPECT_EQ(http().Put("/api/v1/projects/" + b + "/files/two.txt", std::string(1000, 'b')).status, 201);
  EXPECT_EQ(http().Put("/api/v1/projects/" + a + "/files/one.txt", std::string(1500, 'a')).status, 200)
      << "a rewrite counts only what it adds";
  ASSERT_EQ(http().Delete("/api/v1/projects/" + b).status, 204);
  // A fork counts as a project and as its files' bytes: 1500 + 1500 is the limit.
  auto fork = http().Post("/api/v1/projects/" + a + "/fork");
  ASSERT_EQ(fork.status, 201) << fork.body;
  EXPECT_TRUE(IsError(http().Put("/api/v1/projects/" + a + "/files/more.txt", "!"), 413, "storage_quota"));
  ASSERT_EQ(http().Delete("/api/v1/projects/" + Str(fork.Json(), "id")).status, 204);

  // The role's quota applies when the user's own field is 0.
  ASSERT_EQ(Send("PATCH", "/api/v1/admin/users/" + std::to_string(me), As(admin_),
                 R"({"quota": {"projects": 0, "stored_bytes": 0}})").status, 200);
  SetSettings({{"role_quotas", json::object{{"user", json::object{{"projects", 1}}}}}});
  auto mine = http().Get("/api/v1/me");
  EXPECT_EQ(mine.Json().at("quota").at("projects").as_int64(), 1) << mine.body;
  EXPECT_TRUE(IsError(http().Post("/api/v1/projects", R"({"name": "x", "runtime": "python-3.11"})"), 403,
                      "project_quota"));
  // Admins are users of another role.
  EXPECT_EQ(Send("POST", "/api/v1/projects", As(admin_), R"({"name": "x", "runtime": "python-3.11"})").status, 201);
  EXPECT_TRUE(IsError(Send("PUT", "/api/v1/admin/settings", As(admin_), R"({"role_quotas": {"guest": {}}})"), 400,
                      "invalid_request"));
}

TEST_F(Storage, EventStreamsPerUserAreCapped) {
  SetSettings({{"sse_streams_per_user", 2}});
  const std::string id = StartExecute(
      PythonRequest("import time\nwhile True:\n    print('x', flush=True)\n    time.sleep(0.05)\n",
                    {{"limits", json::object{{"wall", "60s"}}}}));
  const std::string target = "/api/v1/runs/" + id + "/events";
  auto first = std::make_unique<SseStream>(http().port(), target);
  SseStream second(http().port(), target);
  ASSERT_EQ(first->status(), 200);
  ASSERT_EQ(second.status(), 200);
  SseStream third(http().port(), target);
  EXPECT_EQ(third.status(), 429) << third.error_body();
  EXPECT_NE(third.error_body().find("too_many_streams"), std::string::npos) << third.error_body();
  // A closed stream gives its slot back (once the server notices, at its next write).
  first.reset();
  bool reopened = false;
  for (int i = 0; i < 100 && !reopened; ++i) {
    SseStream again(http().port(), target);
    reopened = again.status() == 200;
    if (!reopened) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(reopened);
  auto still = second.Next(10s);
  ASSERT_TRUE(still) << "the other stream goes on";
  // Another user has slots of their own.
  const std::string other = NewUser("other");
  const std::string mine = Str(Send("POST", "/api/v1/execute?wait=false", As(other),
                                    json::serialize(PythonRequest("import time\ntime.sleep(5)"))).Json(), "id");
  SseStream theirs(http().port(), "/api/v1/runs/" + mine + "/events", As(other));
  EXPECT_EQ(theirs.status(), 200) << theirs.error_body();
}

TEST_F(Storage, EventStreamsResumeFromEntriesOlderThanTheServersMemory) {
  // 6000 lines at once (more than the server keeps in memory for watchers), a pause,
  // then more: a stream resumed from line 10 during the pause gets every later one.
  const std::string id = StartExecute(PythonRequest(
      "import time\nfor i in range(1, 6001):\n    print(i)\nprint('pause', flush=True)\ntime.sleep(3)\n"
      "for i in range(6002, 6101):\n    print(i, flush=True)\n",
      {{"limits", json::object{{"wall", "60s"}}}}));
  for (int i = 0; i < 150; ++i) {  // until line 6001 ("pause") is stored
    auto r = http().Get("/api/v1/runs/" + id + "/logs?after=6000&limit=1");
    if (r.status == 200 && !r.Json().at("entries").as_array().empty()) break;
    std::this_thread::sleep_for(200ms);
  }
  SseStream events(http().port(), "/api/v1/runs/" + id + "/events", {{"Last-Event-ID", "10"}});
  ASSERT_EQ(events.status(), 200);
  int64_t expected = 11;
  bool end = false;
  while (auto e = events.Next(30s)) {
    if (e->event == "log") {
      ASSERT_EQ(e->id, std::to_string(expected));
      const std::string text = Str(json::parse(e->data), "text");
      EXPECT_EQ(text, expected == 6001 ? "pause" : std::to_string(expected));
      ++expected;
    }
    end = end || e->event == "end";
  }
  EXPECT_EQ(expected, 6101);
  EXPECT_TRUE(end);
}

TEST_F(Storage, NamesWithControlOrBidiCharactersAreRefusedEverywhere) {
  const std::string project = CreateProject("python-3.11", {{"a/b.py", "x"}, {"dir/sub/deep.py", "y"}});
  for (const char* name : {"a%1B%5B31mred.py", "x%0D.py", "x%0A.py", "del%7F", "c1%C2%9B", "gpj.%E2%80%AEexe.py",
                                   "iso%E2%81%A6.py"}) {
    EXPECT_TRUE(IsError(http().Put("/api/v1/projects/" + project + "/files/" + std::string(name), "x"), 400, "invalid_request"))
        << name;
  }
  EXPECT_TRUE(IsError(http().Request("PATCH", "/api/v1/projects/" + project + "/files/a/b.py",
                                     json::serialize(json::object{{"path", "b\u202Eyp.py"}})),
                      400, "invalid_request"));
  auto r = Execute(json::object{{"runtime", "python-3.11"},
                                {"files", json::array{json::object{{"name", "main.py"}, {"content", "print(1)"}},
                                                      json::object{{"name", "evil\x1b]0;pwned\x07.py"}, {"content", ""}}}}});
  EXPECT_TRUE(IsError(r, 400, "invalid_request")) << r.body;
  // '_' and '%' are names, not patterns.
  for (const char* name : {"_", "%25"}) {
    ASSERT_EQ(http().Put("/api/v1/projects/" + project + "/files/" + name, "z").status, 201);
    ASSERT_EQ(http().Delete("/api/v1/projects/" + project + "/files/" + name).status, 204);
  }
  auto files = http().Get("/api/v1/projects/" + project + "/files");
  ASSERT_EQ(files.status, 200);
  ASSERT_EQ(files.Json().as_array().size(), 2u) << files.body;
}

}  // namespace
}  // namespace runlet::testing
