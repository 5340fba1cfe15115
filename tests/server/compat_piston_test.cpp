// The Piston v2 compatible API (/piston/api/v2) against the real server: raw requests
// shaped as Piston's clients send them, its answers and its error messages, the switch
// that turns it on, tokens only (never a session cookie), and anonymous use.
#include <cstdlib>

#include "accounts_test.h"

namespace runlet::testing {
namespace {

class PistonApi : public AccountsTest {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--compat", "piston,judge0"}; }

  // POST /piston/api/v2/execute with `body` as Piston clients send it.
  HttpResponse Execute(const json::value& body, const std::string& content_type = "application/json") {
    return http().Request("POST", "/piston/api/v2/execute", json::serialize(body), {{"Content-Type", content_type}});
  }
  static json::object Python(const std::string& code, json::object extra = {}) {
    extra["language"] = "python";
    if (!extra.contains("version")) extra["version"] = "3.x";
    extra["files"] = json::array{json::object{{"content", code}}};
    return extra;
  }
  // Whether `r` is Piston's error: `status` and {"message": text} containing `text`.
  static ::testing::AssertionResult IsMessage(const HttpResponse& r, int status, const std::string& text) {
    if (r.status != status) return ::testing::AssertionFailure() << "status " << r.status << ": " << r.body;
    const auto& v = r.Json();
    if (!v.is_object() || !v.as_object().contains("message") || !v.at("message").is_string())
      return ::testing::AssertionFailure() << "not {\"message\"}: " << r.body;
    if (std::string(v.at("message").as_string()).find(text) == std::string::npos)
      return ::testing::AssertionFailure() << "message lacks \"" << text << "\": " << r.body;
    return ::testing::AssertionSuccess();
  }
};

TEST_F(PistonApi, RuntimesListLanguagesWithSemverVersionsAndAliases) {
  auto r = http().Get("/piston/api/v2/runtimes");
  ASSERT_EQ(r.status, 200) << r.body;
  bool python = false, cpp = false;
  for (const auto& rt : r.Json().as_array()) {
    const auto& o = rt.as_object();
    const std::string version = Str(o, "version");
    EXPECT_EQ(std::count(version.begin(), version.end(), '.'), 2) << version;
    ASSERT_TRUE(o.at("aliases").is_array());
    if (Str(o, "language") == "python" && Str(o, "runtime") == "python-3.11") {
      python = true;
      EXPECT_EQ(version.rfind("3.11.", 0), 0u) << version;
      const auto& aliases = o.at("aliases").as_array();
      EXPECT_NE(std::find(aliases.begin(), aliases.end(), json::value("py")), aliases.end());
      EXPECT_NE(std::find(aliases.begin(), aliases.end(), json::value("python3")), aliases.end());
    }
    if (Str(o, "language") == "c++") cpp = true;
  }
  EXPECT_TRUE(python) << r.body;
  EXPECT_TRUE(cpp) << "C++ is \"c++\" with the alias cpp: " << r.body;
}

TEST_F(PistonApi, ExecuteAnswersPistonsStagesAndAddsTheMissingNewlineToStdin) {
  auto r = Execute(Python("import sys\nprint(repr(sys.stdin.read()))\nprint('err', file=sys.stderr)\nprint(sys.argv[1:])\n",
                          {{"stdin", "hi"}, {"args", json::array{"a", "b c"}}}));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto& o = r.Json().as_object();
  EXPECT_EQ(Str(o, "language"), "python");
  EXPECT_EQ(Str(o, "version").rfind("3.11.", 0), 0u);
  EXPECT_FALSE(o.contains("compile")) << "python has no compile stage";
  const auto& run = o.at("run").as_object();
  EXPECT_EQ(Str(run, "stdout"), "'hi\\n'\n['a', 'b c']\n");
  EXPECT_EQ(Str(run, "stderr"), "err\n");
  EXPECT_EQ(Str(run, "output"), Str(run, "stdout") + Str(run, "stderr"));
  EXPECT_EQ(run.at("code").as_int64(), 0);
  EXPECT_TRUE(run.at("signal").is_null());
  EXPECT_TRUE(run.at("status").is_null());
  EXPECT_TRUE(run.at("message").is_null());
  EXPECT_GT(run.at("memory").as_int64(), 0);
  EXPECT_GE(run.at("cpu_time").as_int64(), 0);
  EXPECT_GT(run.at("wall_time").as_int64(), 0);
  // stdin that ends with a newline is passed as it is.
  auto kept = Execute(Python("import sys\nprint(repr(sys.stdin.read()))\n", {{"stdin", "x\n"}}));
  EXPECT_EQ(Str(kept.Json().at("run"), "stdout"), "'x\\n'\n") << kept.body;
}

TEST_F(PistonApi, TakesJsonWhateverTheContentTypeWithAToken) {
  for (const std::string type : {"text/plain", "application/x-www-form-urlencoded", ""}) {
    auto r = Execute(Python("print('typed')\n"), type);
    ASSERT_EQ(r.status, 200) << type << ": " << r.body;
    EXPECT_EQ(Str(r.Json().at("run"), "stdout"), "typed\n");
  }
}

TEST_F(PistonApi, PicksTheNewestVersionInTheRangeByLanguageOrAlias) {
  for (const std::string version : {"*", "3", "3.x", "^3.9", ">=3.10 <4", "3.11"}) {
    auto r = Execute(Python("import sys\nprint(sys.version_info[:2])\n", {{"version", version}}));
    ASSERT_EQ(r.status, 200) << version << ": " << r.body;
    EXPECT_EQ(Str(r.Json().at("run"), "stdout"), "(3, 11)\n") << version;
  }
  json::object by_alias = Python("print(1)\n");
  by_alias["language"] = "py";
  EXPECT_EQ(Execute(by_alias).status, 200);
  EXPECT_TRUE(IsMessage(Execute(Python("print(1)\n", {{"version", "2.7"}})), 400, "python-2.7 runtime is unknown"));
  json::object unknown = Python("print(1)\n");
  unknown["language"] = "brainfuck-9000";
  EXPECT_TRUE(IsMessage(Execute(unknown), 400, "brainfuck-9000-3.x runtime is unknown"));
}

TEST_F(PistonApi, TheFirstFileIsTheMainOneAndFilesMayBeEncoded) {
  json::object body{{"language", "python"},
                    {"version", "*"},
                    {"files", json::array{json::object{{"name", "prog.py"},
                                                       {"content", "import lib\nprint(lib.x, open('data.bin','rb').read(), open('h.txt').read())\n"}},
                                          json::object{{"name", "main.py"}, {"content", "print('not me')\n"}},
                                          json::object{{"name", "lib.py"}, {"content", "x = 42\n"}},
                                          json::object{{"name", "data.bin"}, {"content", "AAEC/w=="}, {"encoding", "base64"}},
                                          json::object{{"name", "h.txt"}, {"content", "6869"}, {"encoding", "hex"}}}}};
  auto r = Execute(body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Str(r.Json().at("run"), "stdout"), "42 b'\\x00\\x01\\x02\\xff' hi\n") << r.body;

  body["files"].as_array()[3].as_object()["content"] = "not base64!";
  EXPECT_TRUE(IsMessage(Execute(body), 400, "files[3].content is not valid base64"));
  json::object only_binary{{"language", "python"},
                           {"version", "*"},
                           {"files", json::array{json::object{{"content", "cHJpbnQoMSk="}, {"encoding", "base64"}}}}};
  EXPECT_TRUE(IsMessage(Execute(only_binary), 400, "files must include at least one utf8 encoded file"));
}

TEST_F(PistonApi, CompileAndRunStagesCarryPistonsStatuses) {
  auto c = [&](const std::string& code, json::object extra = {}) {
    extra["language"] = "c";
    extra["version"] = "*";
    extra["files"] = json::array{json::object{{"name", "main.c"}, {"content", code}}};
    return Execute(extra);
  };
  auto ok = c("#include <stdio.h>\nint main(){puts(\"built\");return 0;}\n");
  ASSERT_EQ(ok.status, 200) << ok.body;
  ASSERT_TRUE(ok.Json().as_object().contains("compile")) << ok.body;
  EXPECT_EQ(ok.Json().at("compile").at("code").as_int64(), 0);
  EXPECT_EQ(Str(ok.Json().at("run"), "stdout"), "built\n");

  // A failed compile: the run stage is the compile stage.
  auto broken = c("int main( {\n");
  ASSERT_EQ(broken.status, 200) << broken.body;
  const auto& compile = broken.Json().at("compile").as_object();
  EXPECT_EQ(Str(compile, "status"), "RE");
  EXPECT_NE(compile.at("code").as_int64(), 0);
  EXPECT_NE(Str(compile, "stderr").find("error"), std::string::npos);
  EXPECT_EQ(broken.Json().at("run"), broken.Json().at("compile"));

  auto exit3 = c("int main(){return 3;}\n");
  EXPECT_EQ(Str(exit3.Json().at("run"), "status"), "RE");
  EXPECT_EQ(exit3.Json().at("run").at("code").as_int64(), 3);

  auto segv = c("#include <signal.h>\nint main(){raise(SIGSEGV);return 0;}\n");
  EXPECT_EQ(Str(segv.Json().at("run"), "status"), "SG") << segv.body;
  EXPECT_EQ(Str(segv.Json().at("run"), "signal"), "SIGSEGV");
  EXPECT_TRUE(segv.Json().at("run").at("code").is_null());

  auto spin = c("int main(){for(;;);}\n", {{"run_timeout", 300}, {"run_cpu_time", 200}});
  EXPECT_EQ(Str(spin.Json().at("run"), "status"), "TO") << spin.body;
  EXPECT_EQ(Str(spin.Json().at("run"), "signal"), "SIGKILL");

  auto flood = c("#include <stdio.h>\nint main(){for(;;)fputs(\"yyyyyyyyyyyyyyyy\",stderr);}\n");
  EXPECT_EQ(Str(flood.Json().at("run"), "status"), "EL") << flood.body.substr(0, 300);
}

TEST_F(PistonApi, BadRequestsGetPistonsMessages) {
  auto send = [&](const std::string& body) { return http().Request("POST", "/piston/api/v2/execute", body); };
  EXPECT_TRUE(IsMessage(send("{"), 400, "JSON"));
  EXPECT_TRUE(IsMessage(send("[]"), 400, "object"));
  EXPECT_TRUE(IsMessage(send(R"j({"version":"*","files":[]})j"), 400, "language is required as a string"));
  EXPECT_TRUE(IsMessage(send(R"j({"language":"python","version":3,"files":[]})j"), 400, "version is required as a string"));
  EXPECT_TRUE(IsMessage(send(R"j({"language":"python","version":"*","files":{}})j"), 400, "files is required as an array"));
  EXPECT_TRUE(IsMessage(send(R"j({"language":"python","version":"*","files":[{"name":"a.py"}]})j"), 400,
                        "files[0].content is required as a string"));
  EXPECT_TRUE(IsMessage(Execute(Python("print(1)", {{"run_timeout", "fast"}})), 400,
                        "If specified, run_timeout must be a number"));
  EXPECT_TRUE(IsMessage(Execute(Python("print(1)", {{"compile_cpu_time", 1e12}})), 400,
                        "compile_cpu_time cannot exceed the configured limit of 60000"));
  EXPECT_TRUE(IsMessage(Execute(Python("print(1)", {{"run_memory_limit", -5}})), 400,
                        "run_memory_limit must be non-negative"));
  EXPECT_TRUE(IsMessage(Execute(Python("print(1)", {{"stdin", 5}})), 400, "stdin must be a string"));
  EXPECT_TRUE(IsMessage(Execute(Python("print(1)", {{"args", json::array{1}}})), 400, "args must be an array of strings"));
  json::object escape{{"language", "python"},
                      {"version", "*"},
                      {"files", json::array{json::object{{"name", "../../etc/x.py"}, {"content", "print(1)"}}}}};
  EXPECT_TRUE(IsMessage(Execute(escape), 400, "file name"));
  // Piston's "no limit" for memory (-1) is the runtime's own limit.
  EXPECT_EQ(Execute(Python("print(1)", {{"run_memory_limit", -1}})).status, 200);
  // A memory limit is applied: 32 MB is too little for a 100 MB list.
  auto hog = Execute(Python("x = bytearray(100 * 1024 * 1024)\nprint('allocated')\n", {{"run_memory_limit", 32 * 1024 * 1024}}));
  ASSERT_EQ(hog.status, 200) << hog.body;
  EXPECT_NE(Str(hog.Json().at("run"), "stdout"), "allocated\n") << hog.body;
}

TEST_F(PistonApi, PackagesAreAReadOnlyView) {
  auto list = http().Get("/piston/api/v2/packages");
  ASSERT_EQ(list.status, 200) << list.body;
  bool python = false;
  for (const auto& p : list.Json().as_array()) {
    if (Str(p, "language") == "python" && p.at("installed").as_bool()) python = true;
    EXPECT_TRUE(p.at("language_version").is_string());
  }
  EXPECT_TRUE(python) << list.body;
  EXPECT_TRUE(IsMessage(http().Post("/piston/api/v2/packages", R"j({"language":"python","version":"3.11.2"})j"), 403,
                        "admin"));
  EXPECT_TRUE(IsMessage(http().Request("DELETE", "/piston/api/v2/packages", R"j({"language":"python","version":"*"})j"),
                        403, "admin"));
}

TEST_F(PistonApi, OnlyATokenOpensItNeverASessionCookie) {
  EXPECT_TRUE(IsMessage(Send("GET", "/piston/api/v2/runtimes", Anonymous()), 401, "Bearer"));
  EXPECT_TRUE(IsMessage(Send("GET", "/piston/api/v2/runtimes", As("not-a-token")), 401, "unknown"));
  // A browser's session cookie (as another site's page would send it) is not read.
  auto login = Login("tester", "tester-password");
  ASSERT_EQ(login.status, 200);
  std::string cookie;
  for (const auto& [name, value] : std::map<std::string, std::string>{{"set-cookie", login.Header("set-cookie")}})
    cookie = value.substr(0, value.find(';'));
  ASSERT_FALSE(cookie.empty()) << "login sets a session cookie";
  auto with_cookie = http().Request("POST", "/piston/api/v2/execute", json::serialize(Python("print(1)")),
                                    {{"Authorization", ""}, {"Cookie", cookie}, {"Content-Type", "text/plain"},
                                     {"Origin", "https://evil.example"}});
  EXPECT_TRUE(IsMessage(with_cookie, 401, "Bearer")) << "a cookie must not authenticate a compatible endpoint";
}

class CompatOff : public AccountsTest {};

TEST_F(CompatOff, BothAnswer404UnlessSwitchedOnThenTheAdminSwitchesThemOn) {
  for (const std::string path : {"/piston/api/v2/runtimes", "/judge0/languages", "/judge0/submissions/abc"}) {
    EXPECT_TRUE(IsError(http().Get(path), 404, "not_found")) << path;
  }
  EXPECT_TRUE(IsError(http().Post("/piston/api/v2/execute", "{}"), 404, "not_found"));
  const std::string admin = NewAdmin("boss");
  auto put = Send("PUT", "/api/v1/admin/settings", As(admin), R"j({"compat": ["piston"]})j");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.Json().at("compat"), json::array{"piston"});
  EXPECT_EQ(http().Get("/piston/api/v2/runtimes").status, 200);
  EXPECT_TRUE(IsError(http().Get("/judge0/languages"), 404, "not_found"));
  EXPECT_TRUE(IsError(Send("PUT", "/api/v1/admin/settings", As(admin), R"j({"compat": ["docker"]})j"), 400, "invalid_request"));
  EXPECT_TRUE(IsError(Send("PUT", "/api/v1/admin/settings", As(NewUser("mallory")), R"j({"compat": ["judge0"]})j"), 403,
                      "forbidden"));
  ASSERT_EQ(Send("PUT", "/api/v1/admin/settings", As(admin), R"j({"compat": []})j").status, 200);
  EXPECT_TRUE(IsError(http().Get("/piston/api/v2/runtimes"), 404, "not_found"));
}

TEST_F(CompatOff, TheAnonymousAccountCannotBeTakenBeforeItExists) {
  // Sign-up refuses the name.
  auto signup = Send("POST", "/api/v1/auth/signup", Anonymous(), R"j({"username":"anonymous","password":"a long password"})j");
  EXPECT_TRUE(IsError(signup, 400, "invalid_request")) << signup.body;
  // An account of that name made otherwise is never used for anonymous requests.
  NewAdmin("anonymous");
  const std::string admin = NewAdmin("boss");
  ASSERT_EQ(Send("PUT", "/api/v1/admin/settings", As(admin), R"j({"compat": ["piston"], "compat_anonymous": true})j").status,
            200);
  auto r = http().Request("POST", "/piston/api/v2/execute",
                          R"j({"language":"python","version":"*","files":[{"content":"print(1)"}]})j", {{"Authorization", ""}});
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("not the built-in one"), std::string::npos) << r.body;
}

class AnonymousPiston : public AccountsTest {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--compat", "piston", "--compat-anonymous"}; }
};

TEST_F(AnonymousPiston, RequestsWithoutATokenRunAsAnonymousWithinItsQuota) {
  const std::string body = R"j({"language":"python","version":"*","files":[{"content":"print('anon')"}]})j";
  auto r = http().Request("POST", "/piston/api/v2/execute", body, {{"Authorization", ""}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Str(r.Json().at("run"), "stdout"), "anon\n");
  // The admin sees the account and gives it a quota: 100 ms of CPU time per run.
  const std::string admin = NewAdmin("boss");
  auto users = Send("GET", "/api/v1/admin/users", As(admin));
  ASSERT_EQ(users.status, 200) << users.body;
  int64_t id = 0;
  for (const auto& u : users.Json().as_array()) {
    if (Str(u, "username") == "anonymous") id = u.at("id").as_int64();
  }
  ASSERT_NE(id, 0) << users.body;
  ASSERT_EQ(Send("PATCH", "/api/v1/admin/users/" + std::to_string(id), As(admin), R"j({"quota": {"time_ms": 100}})j").status,
            200);
  auto spin = http().Request("POST", "/piston/api/v2/execute",
                             R"j({"language":"python","version":"*","files":[{"content":"while True: pass"}]})j",
                             {{"Authorization", ""}});
  ASSERT_EQ(spin.status, 200) << spin.body;
  EXPECT_EQ(Str(spin.Json().at("run"), "status"), "TO");
  EXPECT_LT(spin.Json().at("run").at("cpu_time").as_int64(), 1000) << "the quota's 100 ms, not Piston's 3 s";
  // The admin suspends anonymous use by disabling the account.
  ASSERT_EQ(Send("PATCH", "/api/v1/admin/users/" + std::to_string(id), As(admin), R"j({"disabled": true})j").status, 200);
  auto suspended = http().Request("POST", "/piston/api/v2/execute", body, {{"Authorization", ""}});
  EXPECT_EQ(suspended.status, 403) << suspended.body;
  // The rest of the API is still closed to anonymous callers.
  EXPECT_TRUE(IsError(Send("POST", "/api/v1/execute", Anonymous(), "{}"), 401, "unauthorized"));
}

}  // namespace
}  // namespace runlet::testing
