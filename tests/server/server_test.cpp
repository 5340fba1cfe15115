#include "server_test.h"

#include "temp_postgres.h"

#include <signal.h>
#include <sys/wait.h>

#include <iostream>
#include <thread>

namespace runlet::testing {

json::object PythonRequest(const std::string& code, json::object extra) {
  json::object request{{"runtime", "python-3.11"},
                       {"files", json::array{json::object{{"name", "main.py"}, {"content", code}}}}};
  for (auto& [k, v] : extra) request[k] = v;
  return request;
}

std::string Str(const json::value& v, const std::string& key) {
  if (!v.is_object()) return "<not an object>";
  const auto* field = v.as_object().if_contains(key);
  if (!field) return "<missing>";
  if (!field->is_string()) return "<not a string: " + json::serialize(*field) + ">";
  return std::string(field->as_string());
}

::testing::AssertionResult IsError(const HttpResponse& r, int status, const std::string& code) {
  const auto body = r.Json();
  if (r.status != status) {
    return ::testing::AssertionFailure() << "status " << r.status << ", expected " << status << "; body: " << r.body;
  }
  if (!body.is_object() || body.as_object().size() != 2) {
    return ::testing::AssertionFailure() << "the body is not {\"error\",\"message\"}: " << r.body;
  }
  if (Str(body, "error") != code) {
    return ::testing::AssertionFailure() << "error " << Str(body, "error") << ", expected " << code << "; body: " << r.body;
  }
  if (Str(body, "message").empty() || Str(body, "message")[0] == '<') {
    return ::testing::AssertionFailure() << "no message: " << r.body;
  }
  if ((status == 429 || status == 503) && r.Header("retry-after").empty()) {
    return ::testing::AssertionFailure() << status << " without Retry-After";
  }
  if (r.Header("content-type").rfind("application/json", 0) != 0) {
    return ::testing::AssertionFailure() << "content type " << r.Header("content-type");
  }
  return ::testing::AssertionSuccess();
}

void ServerTest::SetUp() {
  dir_ = std::make_unique<TempDir>();
  data_dir_ = dir_->path() + "/data";
  if (const char* backend = std::getenv("RUNLET_TEST_DATABASE"); backend && std::string(backend) == "postgres") {
    try {
      database_ = SharedPostgres().NewDatabase();
    } catch (const std::exception& e) {
      FAIL() << e.what();
    }
  }
  StartServer();
}

void ServerTest::StartServer() {
  server_.reset();
  auto args = ServerArgs();
  if (!database_.empty()) args.insert(args.end(), {"--database", database_});
  server_ = ServerProcess::Start(data_dir_, dir_->path() + "/server.log", args);
  http_ = std::make_unique<HttpClient>(server_->port());
  // Every test acts as one signed-up user (tests of accounts make others).
  DefaultHeaders().clear();
  auto signup = http_->Post("/api/v1/auth/signup", R"({"username":"tester","password":"tester-password"})");
  // (After a restart the account exists, and sign-up may have been closed meanwhile.)
  ASSERT_TRUE(signup.status == 201 || signup.status == 409 || signup.status == 403) << signup.body;
  auto login = http_->Post("/api/v1/auth/login", R"({"username":"tester","password":"tester-password"})");
  ASSERT_EQ(login.status, 200) << login.body;
  DefaultHeaders().emplace_back("Authorization", "Bearer " + Str(login.Json(), "token"));
}

int ServerTest::StopServer(int signal, std::chrono::milliseconds timeout) {
  server_->Signal(signal);
  auto status = server_->Wait(timeout);
  return status ? *status : -1;
}

void ServerTest::TearDown() {
  if (server_ && server_->running()) {
    // Whatever the test sent, the server still answers.
    try {
      auto health = http().Get("/healthz");
      EXPECT_EQ(health.status, 200) << health.body;
      for (const auto& id : started_runs_) {
        auto stop = HttpClient(server_->port(), 30s).Post("/api/v1/runs/" + id + "/stop");
        // 404: the run went with its project.
        EXPECT_TRUE(stop.status == 200 || stop.status == 409 || stop.status == 404) << "stop " << id << ": " << stop.body;
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << "the server no longer answers: " << e.what();
    }
    const int status = StopServer(SIGTERM, 20s);
    EXPECT_TRUE(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "runlet serve did not exit 0 on SIGTERM (wait status " << status << ")";
  }
  if (HasFailure() && server_) std::cerr << "--- the server's log (tail) ---\n" << server_->LogTail() << "\n";
  server_.reset();
}

HttpResponse ServerTest::Execute(const json::value& request, bool wait) {
  return http().Post(wait ? "/api/v1/execute" : "/api/v1/execute?wait=false", json::serialize(request));
}

std::string ServerTest::StartExecute(const json::value& request) {
  auto r = Execute(request, false);
  EXPECT_EQ(r.status, 202) << r.body;
  const std::string id = Str(r.Json(), "id");
  if (r.status == 202) started_runs_.push_back(id);
  return id;
}

std::string ServerTest::CreateProject(const std::string& runtime, const std::map<std::string, std::string>& files) {
  auto r = http().Post("/api/v1/projects", json::serialize(json::object{{"name", "test project"}, {"runtime", runtime}}));
  EXPECT_EQ(r.status, 201) << r.body;
  const std::string id = Str(r.Json(), "id");
  for (const auto& [path, content] : files) {
    auto put = http().Put("/api/v1/projects/" + id + "/files/" + path, content);
    EXPECT_EQ(put.status, 201) << put.body;
  }
  return id;
}

std::string ServerTest::StartProjectRun(const std::string& project_id) {
  auto r = http().Post("/api/v1/projects/" + project_id + "/runs");
  EXPECT_EQ(r.status, 202) << r.body;
  const std::string id = Str(r.Json(), "id");
  if (r.status == 202) started_runs_.push_back(id);
  return id;
}

json::object ServerTest::GetRun(const std::string& id) {
  auto r = http().Get("/api/v1/runs/" + id);
  EXPECT_EQ(r.status, 200) << r.body;
  auto v = r.Json();
  return v.is_object() ? v.as_object() : json::object{};
}

json::object ServerTest::WaitForRun(const std::string& id, const std::function<bool(const json::object&)>& done,
                                    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  json::object run;
  for (;;) {
    run = GetRun(id);
    if (done(run)) return run;
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "run " << id << " did not reach the expected state in time; last: " << json::serialize(run);
      return run;
    }
    std::this_thread::sleep_for(10ms);
  }
}

namespace {
bool IsFinalStatus(const std::string& s) {
  return s != "queued" && s != "building" && s != "running" && s[0] != '<';
}
}  // namespace

json::object ServerTest::WaitFinal(const std::string& id, std::chrono::milliseconds timeout) {
  return WaitForRun(id, [](const json::object& r) { return IsFinalStatus(Str(r, "status")); }, timeout);
}

json::object ServerTest::WaitStatus(const std::string& id, const std::string& status,
                                    std::chrono::milliseconds timeout) {
  return WaitForRun(
      id,
      [&](const json::object& r) {
        const std::string s = Str(r, "status");
        return s == status || (IsFinalStatus(s) && s != status);  // a final status will not change
      },
      timeout);
}

void ServerTest::WaitForOutput(const std::string& id, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto r = http().Get("/api/v1/runs/" + id + "/logs?limit=1");
    auto v = r.Json();
    if (r.status == 200 && v.is_object() && !v.at("entries").as_array().empty()) return;
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "run " << id << " printed nothing in time; run: " << json::serialize(GetRun(id));
      return;
    }
    std::this_thread::sleep_for(10ms);
  }
}

}  // namespace runlet::testing
