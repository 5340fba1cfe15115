// Platforms chosen at run time against the real server holding native and the real Docker
// engine (started by scripts/start-docker; a failure to start fails the test): the admin
// switches the default and the next run goes there, a runtime's own platform wins over the
// default, the choice outlives a restart, and bad choices are refused with reasons.
#include <signal.h>

#include <cstdlib>

#include "accounts_test.h"

namespace runlet::testing {
namespace {

class PlatformsApi : public AccountsTest {
 protected:
  void SetUp() override {
    const std::string start = std::string(RUNLET_START_DOCKER) + " >/dev/null 2>/tmp/runlet-start-docker.err";
    ASSERT_EQ(std::system(start.c_str()), 0) << "scripts/start-docker failed: see /tmp/runlet-start-docker.err";
    AccountsTest::SetUp();
  }
  std::vector<std::string> ServerArgs() const override { return {"--platforms", "native,docker"}; }

  json::object ExecutePython(const std::string& code) {
    auto r = Execute(PythonRequest(code));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.Json().as_object() : json::object{};
  }
  // The platforms the admin API lists, by name.
  std::map<std::string, json::object> Platforms(const std::string& admin) {
    auto r = Send("GET", "/api/v1/admin/platforms", As(admin));
    EXPECT_EQ(r.status, 200) << r.body;
    std::map<std::string, json::object> out;
    if (r.status == 200) {
      for (const auto& p : r.Json().as_array()) out[Str(p, "name")] = p.as_object();
    }
    return out;
  }
  // python-3.11's definition with "platform" set to `platform` (null: none).
  std::string PythonDefinition(const std::string& admin, const json::value& platform) {
    auto r = Send("GET", "/api/v1/admin/runtimes/python-3.11", As(admin));
    EXPECT_EQ(r.status, 200) << r.body;
    json::object def = r.status == 200 ? r.Json().as_object() : json::object{};
    if (platform.is_null()) {
      def.erase("platform");
    } else {
      def["platform"] = platform;
    }
    return json::serialize(def);
  }
};

const char* kWhere = "import os\nprint('in a container' if os.path.exists('/.dockerenv') else 'native')\n";

TEST_F(PlatformsApi, AdminSwitchesTheDefaultAndTheNextRunGoesToDocker) {
  const std::string admin = NewAdmin("boss");
  auto before = Platforms(admin);
  ASSERT_EQ(before.size(), 2u);
  EXPECT_TRUE(before["native"].at("default").as_bool());
  EXPECT_TRUE(before["native"].at("healthy").as_bool()) << Str(before["native"], "detail");
  EXPECT_FALSE(before["docker"].at("default").as_bool());
  // (Every platform starts in the background at the server's start, to sweep what a
  // dead server left: "started" may be either here.)

  auto first = ExecutePython(kWhere);
  EXPECT_EQ(Str(first, "status"), "ok") << Str(first, "message");
  EXPECT_EQ(Str(first, "platform"), "native");
  EXPECT_EQ(Str(first, "stdout"), "native\n");

  auto put = Send("PUT", "/api/v1/admin/platforms", As(admin), R"({"default":"docker"})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(Str(put.Json(), "default"), "docker");
  auto after = Platforms(admin);
  EXPECT_TRUE(after["docker"].at("default").as_bool());
  EXPECT_TRUE(after["docker"].at("started").as_bool());
  EXPECT_TRUE(after["docker"].at("healthy").as_bool()) << Str(after["docker"], "detail");
  EXPECT_FALSE(after["native"].at("default").as_bool());

  auto second = ExecutePython(kWhere);
  EXPECT_EQ(Str(second, "status"), "ok") << Str(second, "message");
  EXPECT_EQ(Str(second, "platform"), "docker");
  EXPECT_EQ(Str(second, "stdout"), "in a container\n");
  EXPECT_EQ(Str(GetRun(Str(second, "id")), "platform"), "docker") << "the run's record says where it ran";
  auto health = http().Get("/healthz");
  EXPECT_EQ(Str(health.Json(), "platform"), "docker");

  // A project run goes there too, and its record says so.
  const std::string project = CreateProject("python-3.11", {{"main.py", kWhere}});
  const std::string run = StartProjectRun(project);
  auto final = WaitFinal(run);
  EXPECT_EQ(Str(final, "status"), "ok") << Str(final, "message");
  EXPECT_EQ(Str(final, "platform"), "docker");

  // The admin's choice outlives a restart.
  ASSERT_EQ(StopServer(SIGTERM), 0);
  StartServer();
  const std::string admin2 = Str(Login("boss", "boss-password").Json(), "token");
  EXPECT_TRUE(Platforms(admin2)["docker"].at("default").as_bool());
  EXPECT_EQ(Str(ExecutePython(kWhere), "platform"), "docker");

  // And back.
  ASSERT_EQ(Send("PUT", "/api/v1/admin/platforms", As(admin2), R"({"default":"native"})").status, 200);
  EXPECT_EQ(Str(ExecutePython(kWhere), "stdout"), "native\n");
}

TEST_F(PlatformsApi, ARuntimesOwnPlatformWinsOverTheDefault) {
  const std::string admin = NewAdmin("boss");
  auto put = Send("PUT", "/api/v1/admin/runtimes/python-3.11", As(admin), PythonDefinition(admin, "docker"));
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(Str(put.Json(), "platform"), "docker");

  auto python = ExecutePython(kWhere);
  EXPECT_EQ(Str(python, "status"), "ok") << Str(python, "message");
  EXPECT_EQ(Str(python, "platform"), "docker") << "the runtime names docker; the default is native";
  EXPECT_EQ(Str(python, "stdout"), "in a container\n");
  // Another runtime keeps the default.
  auto bash = Execute(json::object{{"runtime", "bash-5.2"},
                                   {"files", json::array{json::object{{"name", "main.sh"}, {"content", "echo hi\n"}}}}});
  ASSERT_EQ(bash.status, 200) << bash.body;
  EXPECT_EQ(Str(bash.Json(), "platform"), "native");

  // With docker the default, a runtime that names native stays native.
  ASSERT_EQ(Send("PUT", "/api/v1/admin/platforms", As(admin), R"({"default":"docker"})").status, 200);
  ASSERT_EQ(Send("PUT", "/api/v1/admin/runtimes/python-3.11", As(admin), PythonDefinition(admin, "native")).status, 200);
  EXPECT_EQ(Str(ExecutePython(kWhere), "stdout"), "native\n");
  // Users never see where their runtime runs.
  auto listed = http().Get("/api/v1/runtimes");
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.body.find("\"platform\""), std::string::npos) << listed.body;
}

// The same server with a single-node swarm (scripts/start-swarm) beside native.
class SwarmPlatformsApi : public PlatformsApi {
 protected:
  void SetUp() override {
    const std::string start = std::string(RUNLET_START_SWARM) + " >/dev/null 2>/tmp/runlet-start-swarm.err";
    ASSERT_EQ(std::system(start.c_str()), 0) << "scripts/start-swarm failed: see /tmp/runlet-start-swarm.err";
    PlatformsApi::SetUp();
  }
  std::vector<std::string> ServerArgs() const override { return {"--platforms", "native,swarm"}; }
};

TEST_F(SwarmPlatformsApi, RunsGoToTheSwarmOnceItIsTheDefault) {
  const std::string admin = NewAdmin("boss");
  auto put = Send("PUT", "/api/v1/admin/platforms", As(admin), R"({"default":"swarm"})");
  ASSERT_EQ(put.status, 200) << put.body;
  auto listed = Platforms(admin);
  EXPECT_TRUE(listed["swarm"].at("healthy").as_bool()) << Str(listed["swarm"], "detail");
  EXPECT_NE(Str(listed["swarm"], "detail").find("swarm of 1 node"), std::string::npos) << Str(listed["swarm"], "detail");

  auto executed = ExecutePython(kWhere + std::string("import sys\nprint(sys.stdin.read().upper())\n"));
  EXPECT_EQ(Str(executed, "status"), "ok") << Str(executed, "message");
  EXPECT_EQ(Str(executed, "platform"), "swarm");
  EXPECT_EQ(Str(executed, "stdout"), "in a container\n\n");

  // A project run: queued, run on the swarm, its log holds the output.
  const std::string project = CreateProject("python-3.11", {{"main.py", "print('from', 'the swarm')\n"}});
  const std::string run = StartProjectRun(project);
  auto final = WaitFinal(run);
  EXPECT_EQ(Str(final, "status"), "ok") << Str(final, "message");
  EXPECT_EQ(Str(final, "platform"), "swarm");
  auto logs = http().Get("/api/v1/runs/" + run + "/logs");
  ASSERT_EQ(logs.status, 200) << logs.body;
  std::string out;
  for (const auto& e : logs.Json().at("entries").as_array()) {
    if (Str(e, "stream") == "stdout") out += Str(e, "text");
  }
  EXPECT_EQ(out, "from the swarm") << logs.body;  // the log holds lines
}

TEST_F(PlatformsApi, UnknownOrBadPlatformChoicesAreRefusedWithReasons) {
  const std::string admin = NewAdmin("boss");
  EXPECT_TRUE(IsError(Send("PUT", "/api/v1/admin/platforms", As(admin), R"({"default":"podman"})"), 422,
                      "unknown_platform"))
      << "podman is not one of this server's platforms";
  EXPECT_TRUE(IsError(Send("PUT", "/api/v1/admin/platforms", As(admin), R"({"default":7})"), 400, "invalid_request"));
  EXPECT_TRUE(IsError(Send("PUT", "/api/v1/admin/platforms", As(admin), R"({})"), 400, "invalid_request"));
  EXPECT_TRUE(IsError(Send("PUT", "/api/v1/admin/platforms", As(NewUser("mallory")), R"({"default":"docker"})"), 403,
                      "forbidden"));
  auto unknown = Send("PUT", "/api/v1/admin/runtimes/python-3.11", As(admin), PythonDefinition(admin, "podman"));
  EXPECT_TRUE(IsError(unknown, 400, "invalid_request")) << unknown.body;
  EXPECT_NE(unknown.body.find("podman"), std::string::npos) << unknown.body;
  EXPECT_TRUE(IsError(Send("PUT", "/api/v1/admin/runtimes/python-3.11", As(admin), PythonDefinition(admin, 3)), 400,
                      "invalid_request"));
  // Nothing changed: the default is native, python runs there.
  EXPECT_EQ(Str(ExecutePython(kWhere), "platform"), "native");
}

}  // namespace
}  // namespace runlet::testing
