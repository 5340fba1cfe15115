// The authorization matrix: every project, run and admin endpoint, sent by an anonymous
// client, another user, an admin and the owner. Private projects, their files, runs,
// logs, versions and env values reach their owner only; public projects are readable by
// all and changeable by their owner only; forks copy no env; admin routes are for admins.
#include "accounts_test.h"

namespace runlet::testing {
namespace {

constexpr char kSecret[] = "s3cr3t-env-value-42";

class Authorization : public AccountsTest {
 protected:
  void SetUp() override {
    AccountsTest::SetUp();
    owner_ = NewUser("owner");
    other_ = NewUser("other");
    admin_ = NewAdmin("boss");
    private_ = MakeProject("private");
    public_ = MakeProject("public");
    // A finished run of the private project (its version and logs exist).
    auto run = Send("POST", "/api/v1/projects/" + private_ + "/runs", As(owner_));
    ASSERT_EQ(run.status, 202) << run.body;
    run_ = Str(run.Json(), "id");
    DefaultHeaders() = As(owner_);
    WaitFinal(run_);
    auto versions = Send("GET", "/api/v1/projects/" + private_ + "/versions", As(owner_));
    ASSERT_EQ(versions.status, 200);
    version_ = std::string(versions.Json().as_array().at(0).as_object().at("id").as_string());
  }

  std::string MakeProject(const std::string& visibility) {
    auto p = Send("POST", "/api/v1/projects", As(owner_),
                  json::serialize(json::object{{"name", visibility}, {"runtime", "python-3.11"}, {"visibility", visibility}}));
    EXPECT_EQ(p.status, 201) << p.body;
    const std::string id = Str(p.Json(), "id");
    EXPECT_EQ(http().Request("PUT", "/api/v1/projects/" + id + "/files/main.py",
                             "import os\nprint('hello from', os.environ.get('SECRET', '')[:3])\n", As(owner_)).status, 201);
    auto env = Send("PATCH", "/api/v1/projects/" + id, As(owner_),
                    json::serialize(json::object{{"env", json::object{{"SECRET", kSecret}}}}));
    EXPECT_EQ(env.status, 200) << env.body;
    return id;
  }

  struct Row {
    std::string method, target, body;
    int anonymous, other, admin, owner;
  };
  // Sends each row as each sender; checks statuses and that no one but the owner ever
  // sees the secret env value.
  void Check(const std::vector<Row>& rows) {
    for (const auto& row : rows) {
      const std::pair<const char*, Headers> senders[] = {
          {"anonymous", Anonymous()}, {"other", As(other_)}, {"admin", As(admin_)}, {"owner", As(owner_)}};
      const int expected[] = {row.anonymous, row.other, row.admin, row.owner};
      for (int i = 0; i < 4; ++i) {
        auto r = row.method == "PUT" ? http().Request("PUT", row.target, row.body, senders[i].second)
                                     : Send(row.method, row.target, senders[i].second, row.body);
        EXPECT_EQ(r.status, expected[i]) << row.method << " " << row.target << " as " << senders[i].first << ": " << r.body;
        if (i < 3) {
          EXPECT_EQ(r.body.find(kSecret), std::string::npos) << row.target << " leaks env to " << senders[i].first;
        }
      }
    }
  }

  std::string owner_, other_, admin_, private_, public_, run_, version_;
};

TEST_F(Authorization, APrivateProjectAndItsRunsReachTheirOwnerOnly) {
  const std::string p = "/api/v1/projects/" + private_;
  const std::string r = "/api/v1/runs/" + run_;
  Check({
      {"GET", p, "", 404, 404, 404, 200},
      {"GET", p + "/files", "", 404, 404, 404, 200},
      {"GET", p + "/files/main.py", "", 404, 404, 404, 200},
      {"PATCH", p, R"({"name":"renamed"})", 401, 404, 404, 200},
      {"PUT", p + "/files/extra.py", "print(2)\n", 401, 404, 404, 201},
      {"DELETE", p + "/files/extra.py", "", 401, 404, 404, 204},
      {"GET", p + "/runs", "", 401, 404, 404, 200},
      {"GET", p + "/versions", "", 401, 404, 404, 200},
      {"POST", p + "/versions/" + version_ + "/restore", "", 401, 404, 404, 200},
      {"POST", p + "/fork", "", 401, 404, 404, 201},
      {"GET", r, "", 401, 404, 404, 200},
      {"GET", r + "/logs", "", 401, 404, 404, 200},
      {"POST", r + "/stop", "", 401, 404, 404, 409},
      {"GET", "/api/v1/projects", "", 401, 200, 200, 200},
  });
  // The list of projects is each caller's own.
  EXPECT_EQ(Send("GET", "/api/v1/projects", As(other_)).body, "[]");
  // Live events and attach, too.
  for (const auto& who : {Anonymous(), As(other_), As(admin_)}) {
    SseStream events(http().port(), r + "/events", who);
    EXPECT_TRUE(events.status() == 401 || events.status() == 404) << events.status();
    EXPECT_EQ(events.error_body().find(kSecret), std::string::npos);
  }
  SseStream mine(http().port(), r + "/events", As(owner_));
  EXPECT_EQ(mine.status(), 200);
  // Deleting: not by others; by the owner.
  EXPECT_EQ(Send("DELETE", p, As(other_)).status, 404);
  EXPECT_EQ(Send("DELETE", p, As(admin_)).status, 404);
  EXPECT_EQ(Send("DELETE", p, Anonymous()).status, 401);
  EXPECT_EQ(Send("DELETE", p, As(owner_)).status, 204);
}

TEST_F(Authorization, APublicProjectIsReadByAllAndChangedByItsOwnerOnly) {
  const std::string p = "/api/v1/projects/" + public_;
  Check({
      {"GET", p, "", 200, 200, 200, 200},
      {"GET", p + "/files", "", 200, 200, 200, 200},
      {"GET", p + "/files/main.py", "", 200, 200, 200, 200},
      {"PATCH", p, R"({"visibility":"public"})", 401, 403, 403, 200},
      {"PUT", p + "/files/extra.py", "print(2)\n", 401, 403, 403, 201},
      {"DELETE", p + "/files/extra.py", "", 401, 403, 403, 204},
      // Logged-in viewers may run it: as a run of their own, of no project, without the
      // owner's env (sharing_test.cpp); visitors only when the admin allows anonymous runs.
      {"POST", p + "/runs", "", 401, 202, 202, 202},
      {"GET", p + "/runs", "", 401, 403, 403, 200},
      {"GET", p + "/versions", "", 401, 403, 403, 200},
      {"DELETE", p, "", 401, 403, 403, 204},
  });
}

// Unlisted: the same rights as public by its link; only the gallery leaves it out.
TEST_F(Authorization, AnUnlistedProjectIsReadByItsLinkAndChangedByItsOwnerOnly) {
  const std::string id = MakeProject("unlisted");
  const std::string p = "/api/v1/projects/" + id;
  Check({
      {"GET", p, "", 200, 200, 200, 200},
      {"GET", p + "/files", "", 200, 200, 200, 200},
      {"GET", p + "/files/main.py", "", 200, 200, 200, 200},
      {"PATCH", p, R"({"visibility":"unlisted"})", 401, 403, 403, 200},
      {"PUT", p + "/files/extra.py", "print(2)\n", 401, 403, 403, 201},
      {"DELETE", p + "/files/extra.py", "", 401, 403, 403, 204},
      {"POST", p + "/runs", "", 401, 202, 202, 202},
      {"GET", p + "/runs", "", 401, 403, 403, 200},
      {"GET", p + "/versions", "", 401, 403, 403, 200},
      {"POST", p + "/fork", "", 401, 201, 201, 201},
  });
  EXPECT_EQ(Send("GET", "/api/v1/gallery", Anonymous()).body.find(id), std::string::npos);
  EXPECT_EQ(Send("DELETE", p, As(other_)).status, 403);
  EXPECT_EQ(Send("DELETE", p, As(owner_)).status, 204);
}

TEST_F(Authorization, TheGalleryListsPublicProjectsAndForksCopyNoEnv) {
  auto gallery = Send("GET", "/api/v1/gallery", Anonymous());
  ASSERT_EQ(gallery.status, 200) << gallery.body;
  const json::value page = gallery.Json();
  const auto& listed = page.as_object().at("projects").as_array();
  ASSERT_EQ(listed.size(), 1u) << gallery.body;
  EXPECT_EQ(Str(listed[0], "id"), public_);
  EXPECT_EQ(Str(listed[0], "owner"), "owner");
  EXPECT_EQ(gallery.body.find(kSecret), std::string::npos);
  EXPECT_TRUE(IsError(Send("GET", "/api/v1/gallery?limit=0", Anonymous()), 400, "invalid_request"));

  auto fork = Send("POST", "/api/v1/projects/" + public_ + "/fork", As(other_));
  ASSERT_EQ(fork.status, 201) << fork.body;
  const std::string copy = Str(fork.Json(), "id");
  EXPECT_EQ(Str(fork.Json(), "visibility"), "private");
  EXPECT_EQ(Str(fork.Json(), "forked_from"), public_);
  EXPECT_EQ(fork.Json().as_object().at("env").as_object().size(), 0u) << "env values are never copied";
  auto file = Send("GET", "/api/v1/projects/" + copy + "/files/main.py", As(other_));
  EXPECT_EQ(file.status, 200);
  EXPECT_NE(file.body.find("hello from"), std::string::npos);
  // The fork is the forker's: private to them, not the original owner's.
  EXPECT_EQ(Send("GET", "/api/v1/projects/" + copy, As(owner_)).status, 404);
  EXPECT_TRUE(IsError(Send("POST", "/api/v1/projects/" + private_ + "/fork", As(other_)), 404, "not_found"));
}

TEST_F(Authorization, FilesAndFoldersAreRenamedByTheOwnerWithinThePathRules) {
  const std::string p = "/api/v1/projects/" + private_;
  ASSERT_EQ(http().Request("PUT", p + "/files/lib/util.py", "X = 1\n", As(owner_)).status, 201);
  ASSERT_EQ(http().Request("PUT", p + "/files/lib/sub/deep.py", "Y = 2\n", As(owner_)).status, 201);
  auto moved = Send("PATCH", p + "/files/lib", As(owner_), R"({"path":"pkg"})");
  ASSERT_EQ(moved.status, 200) << moved.body;
  auto list = Send("GET", p + "/files", As(owner_));
  EXPECT_NE(list.body.find("\"pkg/util.py\""), std::string::npos) << list.body;
  EXPECT_NE(list.body.find("\"pkg/sub/deep.py\""), std::string::npos) << list.body;
  EXPECT_EQ(list.body.find("\"lib/"), std::string::npos) << list.body;
  EXPECT_EQ(Send("GET", p + "/files/pkg/sub/deep.py", As(owner_)).body, "Y = 2\n");
  EXPECT_EQ(Send("PATCH", p + "/files/pkg/util.py", As(owner_), R"({"path":"main.py"})").status, 409);
  EXPECT_EQ(Send("PATCH", p + "/files/nothing.py", As(owner_), R"({"path":"x.py"})").status, 404);
  for (const char* bad : {R"({"path":"../escape.py"})", R"({"path":"/abs.py"})", R"({"path":"a/../../b"})",
                          R"({"path":""})", R"({"path":"pkg/sub/inside"})"}) {
    const std::string from = std::string(bad).find("inside") != std::string::npos ? "pkg/sub" : "pkg/util.py";
    EXPECT_EQ(Send("PATCH", p + "/files/" + from, As(owner_), bad).status, 400) << bad;
  }
  EXPECT_EQ(Send("PATCH", p + "/files/pkg/util.py", As(other_), R"({"path":"x.py"})").status, 404);
}

TEST_F(Authorization, AdminRoutesAreForAdminsOnly) {
  const std::string runtime =
      R"js({"id":"python-extra","language":"python","version":"3.11","name":"Python (extra)","main_file":"main.py",)js"
      R"js("extensions":[".py"],"run":["python3","{main}"]})js";
  Check({
      {"GET", "/api/v1/admin/users", "", 401, 403, 200, 403},
      {"GET", "/api/v1/admin/settings", "", 401, 403, 200, 403},
      {"PUT", "/api/v1/admin/settings", R"({"signup":"open"})", 401, 403, 200, 403},
      {"PUT", "/api/v1/admin/faq", R"([{"question":"Q?","answer":"A."}])", 401, 403, 200, 403},
      {"GET", "/api/v1/admin/runtimes", "", 401, 403, 200, 403},
      {"GET", "/api/v1/admin/platforms", "", 401, 403, 200, 403},
      {"POST", "/api/v1/admin/runtimes", runtime, 401, 403, 201, 403},
      {"PATCH", "/api/v1/admin/users/1", R"({"quota":{"concurrent_runs":3}})", 401, 403, 200, 403},
  });
  // What the admin changed is seen at once by everyone.
  auto faq = Send("GET", "/api/v1/faq", Anonymous());
  EXPECT_EQ(faq.body, R"([{"question":"Q?","answer":"A."}])");
  auto runtimes = Send("GET", "/api/v1/runtimes", As(other_));
  EXPECT_NE(runtimes.body.find("\"python-extra\""), std::string::npos);
}

TEST_F(Authorization, DefaultLimitsAndMaximaSetByAnAdminApplyAtOnce) {
  auto set = Send("PUT", "/api/v1/admin/settings", As(admin_),
                  R"({"default_limits":{"time":"700ms"},"max_limits":{"time":"1500ms","wall":"3s"}})");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_TRUE(IsError(Send("PUT", "/api/v1/admin/settings", As(admin_), R"({"default_limits":{"time":"-1s"}})"), 400,
                      "invalid_request"));
  EXPECT_TRUE(IsError(Send("PUT", "/api/v1/admin/settings", As(admin_), R"({"colour":"blue"})"), 400, "invalid_request"));
  const std::string spin = "while True: pass\n";
  // No limits asked: the admin's default CPU time.
  auto plain = Send("POST", "/api/v1/execute", As(other_), json::serialize(PythonRequest(spin)));
  ASSERT_EQ(plain.status, 200) << plain.body;
  EXPECT_EQ(Str(plain.Json(), "status"), "time_limit");
  const int64_t cpu = plain.Json().as_object().at("cpu_time_ms").as_int64();
  EXPECT_GE(cpu, 650) << plain.body;
  EXPECT_LT(cpu, 1200) << plain.body;
  // More asked than the maximum: clamped to it.
  auto greedy = Send("POST", "/api/v1/execute", As(other_),
                     json::serialize(PythonRequest(spin, {{"limits", json::object{{"time", "60s"}}}})));
  ASSERT_EQ(greedy.status, 200) << greedy.body;
  const int64_t greedy_cpu = greedy.Json().as_object().at("cpu_time_ms").as_int64();
  EXPECT_GE(greedy_cpu, 1400) << greedy.body;
  EXPECT_LT(greedy_cpu, 2500) << greedy.body;
  auto settings = Send("GET", "/api/v1/admin/settings", As(admin_));
  EXPECT_NE(settings.body.find("\"default_limits\":{\"time\":\"700ms\"}"), std::string::npos) << settings.body;
}

TEST_F(Authorization, QuotasSetByAnAdminBoundAUsersRuns) {
  auto me = Send("GET", "/api/v1/me", As(other_));
  const std::string id = std::to_string(me.Json().as_object().at("id").as_int64());
  auto set = Send("PATCH", "/api/v1/admin/users/" + id, As(admin_),
                  R"({"quota":{"concurrent_runs":1,"time_ms":1500,"memory_bytes":134217728}})");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_TRUE(IsError(Send("PATCH", "/api/v1/admin/users/" + id, As(admin_), R"({"quota":{"cpus":-1}})"), 400,
                      "invalid_request"));
  // A run asking for more than the quota is cut down to it.
  auto spin = Send("POST", "/api/v1/execute", As(other_),
                   json::serialize(PythonRequest("while True: pass\n", {{"limits", json::object{{"time", "10s"}, {"wall", "20s"}}}})));
  ASSERT_EQ(spin.status, 200) << spin.body;
  EXPECT_EQ(Str(spin.Json(), "status"), "time_limit");
  EXPECT_LT(spin.Json().as_object().at("wall_time_ms").as_int64(), 5000) << spin.body;
  // One run at a time: the second is refused while the first runs.
  auto first = Send("POST", "/api/v1/execute?wait=false", As(other_), json::serialize(PythonRequest("import time\ntime.sleep(1)\n")));
  ASSERT_EQ(first.status, 202) << first.body;
  auto second = Send("POST", "/api/v1/execute?wait=false", As(other_), json::serialize(PythonRequest("print(1)\n")));
  EXPECT_TRUE(IsError(second, 429, "too_many_requests")) << second.body;
  // Others are not bound by it.
  EXPECT_EQ(Send("POST", "/api/v1/execute?wait=false", As(owner_), json::serialize(PythonRequest("print(1)\n"))).status, 202);
  DefaultHeaders() = As(other_);
  WaitFinal(Str(first.Json(), "id"));
}

}  // namespace
}  // namespace runlet::testing
