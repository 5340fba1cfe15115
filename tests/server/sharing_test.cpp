// Running someone else's public project: read-only, in the viewer's own quota and
// sandbox, never with the owner's env values; visitors who are not logged in only when
// the admin allows anonymous runs.
#include <thread>

#include "accounts_test.h"

namespace runlet::testing {
namespace {

class Sharing : public AccountsTest {
 protected:
  // Alice's project (public or private) with an env value that must not leak.
  std::string AlicesProject(const std::string& alice, const std::string& visibility) {
    auto created = Send("POST", "/api/v1/projects", As(alice),
                        R"({"name": "shared", "runtime": "python-3.11", "visibility": ")" + visibility + R"("})");
    EXPECT_EQ(created.status, 201) << created.body;
    const std::string id = Str(created.Json(), "id");
    EXPECT_EQ(Send("PUT", "/api/v1/projects/" + id + "/files/main.py", As(alice),
                   "import os, sys\nprint('secret=' + os.environ.get('SECRET', 'none'))\nprint(sys.argv[1:])\n")
                  .status,
              201);
    EXPECT_EQ(Send("PATCH", "/api/v1/projects/" + id, As(alice), R"({"env": {"SECRET": "alices-key"}})").status, 200);
    return id;
  }

  std::vector<std::string> Lines(const std::string& run_id, const Headers& who) {
    auto r = Send("GET", "/api/v1/runs/" + run_id + "/logs?limit=100", who);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> texts;
    if (r.status != 200) return texts;
    for (const auto& e : r.Json().at("entries").as_array()) texts.emplace_back(e.at("text").as_string());
    return texts;
  }

  json::object WaitDone(const std::string& run_id, const Headers& who) {
    for (int i = 0; i < 600; ++i) {
      auto r = Send("GET", "/api/v1/runs/" + run_id, who);
      EXPECT_EQ(r.status, 200) << r.body;
      if (r.status != 200) break;
      const std::string status = Str(r.Json(), "status");
      if (status != "queued" && status != "building" && status != "running") return r.Json().as_object();
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "run " << run_id << " did not finish";
    return {};
  }
};

TEST_F(Sharing, ALoggedInViewerRunsAPublicProjectInTheirOwnNameWithoutTheOwnersEnv) {
  const std::string alice = NewUser("alice");
  const std::string bob = NewUser("bob");
  const std::string project = AlicesProject(alice, "public");

  auto started = Send("POST", "/api/v1/projects/" + project + "/runs", As(bob), R"({"args": ["from-bob"]})");
  ASSERT_EQ(started.status, 202) << started.body;
  const std::string run_id = Str(started.Json(), "id");
  auto run = WaitDone(run_id, As(bob));
  EXPECT_EQ(Str(run, "status"), "ok");
  EXPECT_EQ(Lines(run_id, As(bob)), (std::vector<std::string>{"secret=none", "['from-bob']"}));

  // Bob's run is his: Alice neither sees it nor finds it in her project's history, and
  // it made no version of her project.
  EXPECT_TRUE(IsError(Send("GET", "/api/v1/runs/" + run_id, As(alice)), 404, "not_found"));
  auto history = Send("GET", "/api/v1/projects/" + project + "/runs", As(alice));
  ASSERT_EQ(history.status, 200);
  EXPECT_TRUE(history.Json().as_array().empty());
  EXPECT_TRUE(Send("GET", "/api/v1/projects/" + project + "/versions", As(alice)).Json().as_array().empty());
  // Read-only: Bob still cannot change her files or see her env values.
  EXPECT_TRUE(IsError(Send("PUT", "/api/v1/projects/" + project + "/files/main.py", As(bob), "print(1)\n"), 403,
                      "forbidden"));
  EXPECT_EQ(Send("GET", "/api/v1/projects/" + project, As(bob)).body.find("alices-key"), std::string::npos);

  // Alice's own run does get her env.
  auto own = Send("POST", "/api/v1/projects/" + project + "/runs", As(alice), "{}");
  ASSERT_EQ(own.status, 202) << own.body;
  WaitDone(Str(own.Json(), "id"), As(alice));
  EXPECT_EQ(Lines(Str(own.Json(), "id"), As(alice)).front(), "secret=alices-key");
}

TEST_F(Sharing, APrivateProjectCannotBeRunByAnyoneElse) {
  const std::string alice = NewUser("alice");
  const std::string bob = NewUser("bob");
  const std::string project = AlicesProject(alice, "private");
  EXPECT_TRUE(IsError(Send("POST", "/api/v1/projects/" + project + "/runs", As(bob), "{}"), 404, "not_found"));
  EXPECT_TRUE(IsError(Send("GET", "/api/v1/projects/" + project + "/run-limits", As(bob)), 404, "not_found"));
}

TEST_F(Sharing, VisitorsRunPublicProjectsOnlyWhenTheAdminAllowsAnonymousRuns) {
  const std::string admin = NewAdmin("root");
  const std::string alice = NewUser("alice");
  const std::string shared = AlicesProject(alice, "public");
  const std::string hidden = AlicesProject(alice, "private");

  EXPECT_TRUE(IsError(Send("POST", "/api/v1/projects/" + shared + "/runs", Anonymous(), "{}"), 401, "unauthorized"));
  ASSERT_EQ(Send("PUT", "/api/v1/admin/settings", As(admin), R"({"anonymous_runs": true})").status, 200);

  auto started = Send("POST", "/api/v1/projects/" + shared + "/runs", Anonymous(), "{}");
  ASSERT_EQ(started.status, 202) << started.body;
  const std::string run_id = Str(started.Json(), "id");
  auto run = WaitDone(run_id, Anonymous());
  EXPECT_EQ(Str(run, "status"), "ok");
  EXPECT_EQ(Lines(run_id, Anonymous()).front(), "secret=none");
  // Still nothing else: private projects, writes, other routes.
  EXPECT_TRUE(IsError(Send("POST", "/api/v1/projects/" + hidden + "/runs", Anonymous(), "{}"), 404, "not_found"));
  EXPECT_TRUE(IsError(Send("PUT", "/api/v1/projects/" + shared + "/files/x.py", Anonymous(), "1"), 401, "unauthorized"));
  EXPECT_TRUE(IsError(Send("GET", "/api/v1/projects", Anonymous()), 401, "unauthorized"));
  EXPECT_TRUE(IsError(Send("POST", "/api/v1/execute", Anonymous(), "{}"), 401, "unauthorized"));
  // No one can take the account's name, nor log in as it.
  EXPECT_TRUE(IsError(Send("POST", "/api/v1/auth/signup", Anonymous(), R"({"username": "anonymous", "password": "long-enough-password"})"),
                      400, "invalid_request"));
  EXPECT_NE(Login("anonymous", "!").status, 200);
  EXPECT_NE(Login("anonymous", "").status, 200);

  // Switched off again: refused.
  ASSERT_EQ(Send("PUT", "/api/v1/admin/settings", As(admin), R"({"anonymous_runs": false})").status, 200);
  EXPECT_TRUE(IsError(Send("POST", "/api/v1/projects/" + shared + "/runs", Anonymous(), "{}"), 401, "unauthorized"));
  EXPECT_TRUE(IsError(Send("GET", "/api/v1/runs/" + run_id, Anonymous()), 401, "unauthorized"));
}

TEST_F(Sharing, ARuntimeOnAMissingImageIsUnavailableAtOnceWithTheFixForTheAdminOnly) {
  const std::string admin = NewAdmin("root");
  const std::string alice = NewUser("alice");
  const std::string project = AlicesProject(alice, "private");
  auto def = Send("GET", "/api/v1/admin/runtimes/python-3.11", As(admin));
  ASSERT_EQ(def.status, 200) << def.body;
  EXPECT_TRUE(def.Json().at("available").as_bool());
  json::object broken = def.Json().as_object();
  broken["image"] = "no-such-image";
  broken["image_recipe"] = json::object{{"suite", "bookworm"}, {"packages", json::array{"python3"}}};
  ASSERT_EQ(Send("PUT", "/api/v1/admin/runtimes/python-3.11", As(admin), json::serialize(broken)).status, 200);

  // Users see at once that it cannot run, and whom to ask; never an operator's command.
  auto runtimes = Send("GET", "/api/v1/runtimes", As(alice));
  for (const auto& rt : runtimes.Json().as_array()) {
    if (Str(rt, "id") != "python-3.11") continue;
    EXPECT_FALSE(rt.at("available").as_bool());
    EXPECT_NE(Str(rt, "problem").find("ask your admin"), std::string::npos) << Str(rt, "problem");
  }
  EXPECT_EQ(runtimes.body.find("runlet image"), std::string::npos) << runtimes.body;
  auto run = Send("POST", "/api/v1/projects/" + project + "/runs", As(alice), "{}");
  EXPECT_TRUE(IsError(run, 503, "runtime_unavailable"));
  EXPECT_EQ(run.body.find("runlet image"), std::string::npos) << run.body;
  // The admin sees why, and the fix for this runtime's image.
  auto admin_view = Send("GET", "/api/v1/admin/runtimes/python-3.11", As(admin));
  EXPECT_FALSE(admin_view.Json().at("available").as_bool());
  EXPECT_NE(Str(admin_view.Json(), "problem").find("runlet image build no-such-image --suite bookworm --packages python3"),
            std::string::npos)
      << admin_view.body;

  // Pointed back at the host: available again, at once.
  json::object fixed = def.Json().as_object();
  ASSERT_EQ(Send("PUT", "/api/v1/admin/runtimes/python-3.11", As(admin), json::serialize(fixed)).status, 200);
  auto again = Send("GET", "/api/v1/admin/runtimes/python-3.11", As(admin));
  EXPECT_TRUE(again.Json().at("available").as_bool()) << again.body;
  EXPECT_EQ(Send("POST", "/api/v1/projects/" + project + "/runs", As(alice), "{}").status, 202);
}

}  // namespace
}  // namespace runlet::testing
