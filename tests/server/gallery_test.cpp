// The gallery (search, language, sort, run counts, descriptions, "forked from"), unlisted
// projects (reached by their link, listed nowhere) and the admin deleting an account.
// Part of the slice that also runs against PostgreSQL (server_on_postgres).
#include <set>
#include <thread>

#include "accounts_test.h"

namespace runlet::testing {
namespace {

class Gallery : public AccountsTest {
 protected:
  std::string NewProject(const std::string& who, const std::string& fields) {
    auto created = Send("POST", "/api/v1/projects", As(who), fields);
    EXPECT_EQ(created.status, 201) << created.body;
    const std::string id = Str(created.Json(), "id");
    EXPECT_EQ(Send("PUT", "/api/v1/projects/" + id + "/files/main.py", As(who), "print('hi')\n").status, 201);
    return id;
  }

  // The gallery's project ids for `query` (as Anonymous: the gallery is public).
  std::vector<std::string> Listed(const std::string& query) {
    auto r = Send("GET", "/api/v1/gallery" + query, Anonymous());
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    std::vector<std::string> ids;
    if (r.status != 200) return ids;
    for (const auto& p : r.Json().at("projects").as_array()) ids.emplace_back(p.at("id").as_string());
    return ids;
  }

  void RunAndWait(const std::string& project, const Headers& who) {
    auto started = Send("POST", "/api/v1/projects/" + project + "/runs", who, "{}");
    ASSERT_EQ(started.status, 202) << started.body;
    const std::string run_id = Str(started.Json(), "id");
    for (int i = 0; i < 600; ++i) {
      const std::string status = Str(Send("GET", "/api/v1/runs/" + run_id, who).Json(), "status");
      if (status != "queued" && status != "building" && status != "running") return;
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "run " << run_id << " did not finish";
  }

  int64_t UserId(const std::string& admin, const std::string& name) {
    auto users = Send("GET", "/api/v1/admin/users", As(admin));
    EXPECT_EQ(users.status, 200) << users.body;
    for (const auto& u : users.Json().as_array()) {
      if (Str(u, "username") == name) return u.at("id").as_int64();
    }
    ADD_FAILURE() << "no user " << name;
    return 0;
  }
};

TEST_F(Gallery, SearchesFiltersAndSortsPublicProjectsWithRunCountsAndDescriptions) {
  const std::string alice = NewUser("alice");
  const std::string bob = NewUser("bob");
  const std::string hello = NewProject(alice, R"({"name": "Hello", "runtime": "python-3.11", "visibility": "public",
                                                  "description": "Greets the WORLD"})");
  const std::string quiz = NewProject(alice, R"({"name": "quiz", "runtime": "bash-5.2", "visibility": "public"})");
  const std::string secret = NewProject(alice, R"({"name": "hello unlisted", "runtime": "python-3.11",
                                                   "visibility": "unlisted"})");
  NewProject(alice, R"({"name": "hello private", "runtime": "python-3.11"})");
  EXPECT_EQ(Send("PUT", "/api/v1/projects/" + quiz + "/files/main.sh", As(alice), "echo hi\n").status, 201);

  // Runs by anyone count, the owner's and a viewer's.
  RunAndWait(quiz, As(alice));
  RunAndWait(quiz, As(bob));
  RunAndWait(hello, As(bob));
  auto got = Send("GET", "/api/v1/projects/" + quiz, As(bob));
  EXPECT_EQ(got.Json().at("run_count").as_int64(), 2);
  EXPECT_EQ(Str(got.Json(), "description"), "");

  using V = std::vector<std::string>;
  EXPECT_EQ(Listed(""), (V{quiz, hello})) << "recently changed first; unlisted and private never listed";
  EXPECT_EQ(Listed("?sort=runs"), (V{quiz, hello}));
  EXPECT_EQ(Listed("?sort=name"), (V{hello, quiz}));
  EXPECT_EQ(Listed("?sort=newest"), (V{quiz, hello}));
  EXPECT_EQ(Listed("?q=world"), (V{hello})) << "the description, in either case";
  EXPECT_EQ(Listed("?q=hello"), (V{hello})) << "never the unlisted one";
  EXPECT_EQ(Listed("?language=python"), (V{hello}));
  EXPECT_EQ(Listed("?language=bash&sort=name"), (V{quiz}));
  EXPECT_EQ(Listed("?language=cobol"), V{});
  EXPECT_EQ(Listed("?runtime=python-3.11"), (V{hello}));
  EXPECT_TRUE(IsError(Send("GET", "/api/v1/gallery?sort=random", Anonymous()), 400, "invalid_request"));
  auto listed = Send("GET", "/api/v1/gallery?q=world", Anonymous()).Json().at("projects").at(0);
  EXPECT_EQ(Str(listed, "description"), "Greets the WORLD");
  EXPECT_EQ(listed.at("run_count").as_int64(), 1);

  // The description is the owner's to change, within 500 bytes.
  EXPECT_EQ(Send("PATCH", "/api/v1/projects/" + quiz, As(alice), R"({"description": "Asks things"})").status, 200);
  EXPECT_EQ(Listed("?q=ASKS"), (V{quiz}));
  EXPECT_TRUE(IsError(Send("PATCH", "/api/v1/projects/" + quiz, As(alice),
                           R"({"description": ")" + std::string(501, 'x') + R"("})"),
                      400, "invalid_request"));
  EXPECT_TRUE(IsError(Send("PATCH", "/api/v1/projects/" + quiz, As(bob), R"({"description": "mine"})"), 403, "forbidden"));
  EXPECT_TRUE(IsError(Send("PATCH", "/api/v1/projects/" + quiz, As(alice), R"({"visibility": "hidden"})"), 400,
                      "invalid_request"));

  // A fork says where it came from, by name and owner, and copies the description.
  auto fork = Send("POST", "/api/v1/projects/" + hello + "/fork", As(bob), "{}");
  ASSERT_EQ(fork.status, 201) << fork.body;
  EXPECT_EQ(Str(fork.Json(), "forked_from"), hello);
  EXPECT_EQ(Str(fork.Json(), "forked_from_name"), "Hello");
  EXPECT_EQ(Str(fork.Json(), "forked_from_owner"), "alice");
  EXPECT_EQ(Str(fork.Json(), "description"), "Greets the WORLD");
  EXPECT_EQ(Str(fork.Json(), "visibility"), "private");
  (void)secret;
}

TEST_F(Gallery, AnUnlistedProjectIsReadAndRunByItsLinkButListedNowhere) {
  const std::string alice = NewUser("alice");
  const std::string bob = NewUser("bob");
  const std::string unlisted = NewProject(alice, R"({"name": "by link", "runtime": "python-3.11", "visibility": "unlisted"})");
  EXPECT_EQ(Send("PATCH", "/api/v1/projects/" + unlisted, As(alice), R"({"env": {"SECRET": "alices"}})").status, 200);

  EXPECT_TRUE(Listed("").empty());
  // Whoever has the link reads it, its files, and (logged in) runs it, without her env.
  auto got = Send("GET", "/api/v1/projects/" + unlisted, As(bob));
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(Str(got.Json(), "visibility"), "unlisted");
  EXPECT_TRUE(got.Json().at("can_run").as_bool());
  EXPECT_EQ(got.body.find("alices"), std::string::npos);
  EXPECT_EQ(Send("GET", "/api/v1/projects/" + unlisted + "/files/main.py", Anonymous()).body, "print('hi')\n");
  auto anonymous = Send("GET", "/api/v1/projects/" + unlisted, Anonymous());
  EXPECT_EQ(anonymous.status, 200);
  EXPECT_FALSE(anonymous.Json().at("can_run").as_bool()) << "visitors run only when the admin allows it";
  RunAndWait(unlisted, As(bob));
  // Still read-only for others.
  EXPECT_TRUE(IsError(Send("PUT", "/api/v1/projects/" + unlisted + "/files/main.py", As(bob), "x"), 403, "forbidden"));

  // A public fork of it does not give its link away to others; its owner sees it.
  auto fork = Send("POST", "/api/v1/projects/" + unlisted + "/fork", As(bob), "{}");
  ASSERT_EQ(fork.status, 201) << fork.body;
  const std::string fork_id = Str(fork.Json(), "id");
  EXPECT_EQ(Str(fork.Json(), "forked_from"), unlisted);
  ASSERT_EQ(Send("PATCH", "/api/v1/projects/" + fork_id, As(bob), R"({"visibility": "public"})").status, 200);
  const std::string carol = NewUser("carol");
  auto seen = Send("GET", "/api/v1/projects/" + fork_id, As(carol));
  EXPECT_TRUE(seen.Json().at("forked_from").is_null()) << seen.body;
  EXPECT_EQ(seen.body.find(unlisted), std::string::npos);
  EXPECT_EQ(Send("GET", "/api/v1/gallery", Anonymous()).body.find(unlisted), std::string::npos);
  EXPECT_EQ(Str(Send("GET", "/api/v1/projects/" + fork_id, As(alice)).Json(), "forked_from"), unlisted)
      << "the original's owner";

  // Made private again: gone for others.
  ASSERT_EQ(Send("PATCH", "/api/v1/projects/" + unlisted, As(alice), R"({"visibility": "private"})").status, 200);
  EXPECT_TRUE(IsError(Send("GET", "/api/v1/projects/" + unlisted, As(bob)), 404, "not_found"));
}

TEST_F(Gallery, TheAdminDeletesAUserWithTheirSessionsProjectsAndRunsButNotThemselvesOrAnonymous) {
  const std::string admin = NewAdmin("root");
  const std::string doomed = NewUser("doomed");
  const std::string bob = NewUser("bob");
  const std::string theirs = NewProject(doomed, R"({"name": "theirs", "runtime": "python-3.11", "visibility": "public"})");
  const std::string bobs = NewProject(bob, R"({"name": "bobs", "runtime": "python-3.11", "visibility": "public"})");
  RunAndWait(bobs, As(doomed));
  RunAndWait(theirs, As(bob));
  // A long run of theirs that is still going: stopped and awaited by the deletion.
  EXPECT_EQ(Send("PUT", "/api/v1/projects/" + theirs + "/files/main.py", As(doomed), "import time\ntime.sleep(60)\n").status,
            200);
  auto long_run = Send("POST", "/api/v1/projects/" + theirs + "/runs", As(doomed), "{}");
  ASSERT_EQ(long_run.status, 202) << long_run.body;
  const std::string long_id = Str(long_run.Json(), "id");
  const int64_t id = UserId(admin, "doomed");

  // Not by a user; not oneself; not the built-in anonymous account.
  EXPECT_TRUE(IsError(Send("DELETE", "/api/v1/admin/users/" + std::to_string(id), As(bob)), 403, "forbidden"));
  const int64_t root = UserId(admin, "root");
  EXPECT_TRUE(IsError(Send("DELETE", "/api/v1/admin/users/" + std::to_string(root), As(admin)), 409, "conflict"));
  ASSERT_EQ(Send("PUT", "/api/v1/admin/settings", As(admin), R"({"anonymous_runs": true})").status, 200);
  RunAndWait(bobs, Anonymous());  // makes the anonymous account
  const int64_t anonymous = UserId(admin, "anonymous");
  bool builtin = false;
  const json::value users = Send("GET", "/api/v1/admin/users", As(admin)).Json();
  for (const auto& u : users.as_array())
    if (u.at("id").as_int64() == anonymous) builtin = u.at("builtin").as_bool();
  EXPECT_TRUE(builtin);
  EXPECT_TRUE(IsError(Send("DELETE", "/api/v1/admin/users/" + std::to_string(anonymous), As(admin)), 409, "conflict"));
  EXPECT_TRUE(IsError(Send("DELETE", "/api/v1/admin/users/999999", As(admin)), 404, "not_found"));
  EXPECT_TRUE(IsError(Send("DELETE", "/api/v1/admin/users/x", As(admin)), 404, "not_found"));

  auto deleted = Send("DELETE", "/api/v1/admin/users/" + std::to_string(id), As(admin));
  ASSERT_EQ(deleted.status, 204) << deleted.body;
  EXPECT_EQ(Send("GET", "/api/v1/me", As(doomed)).status, 401) << "their sessions end";
  EXPECT_NE(Login("doomed", "doomed-password").status, 200);
  EXPECT_TRUE(IsError(Send("GET", "/api/v1/projects/" + theirs, As(bob)), 404, "not_found"));
  EXPECT_TRUE(IsError(Send("GET", "/api/v1/runs/" + long_id, As(admin)), 404, "not_found"));
  EXPECT_TRUE(IsError(Send("GET", "/api/v1/admin/users/" + std::to_string(id), As(admin)), 404, "not_found"));
  EXPECT_EQ(Send("GET", "/api/v1/gallery", Anonymous()).body.find(theirs), std::string::npos);
  // Bob's project stays, with its count of runs (the deleted user's run is gone).
  auto kept = Send("GET", "/api/v1/projects/" + bobs, As(bob));
  ASSERT_EQ(kept.status, 200);
  EXPECT_EQ(kept.Json().at("run_count").as_int64(), 2);
  EXPECT_EQ(Send("GET", "/api/v1/projects/" + bobs + "/runs", As(bob)).Json().as_array().size(), 0u);
  // The name is free again.
  EXPECT_EQ(NewUser("doomed").empty(), false);
}

}  // namespace
}  // namespace runlet::testing
