// Bad input of every kind gets an exact status and an {"error", "message"} body, and the
// server goes on answering (TearDown checks /healthz after each test).
#include "server_test.h"

namespace runlet::testing {
namespace {

using BadInput = ServerTest;

// A valid execute request with `key` replaced by `value` (the JSON text of it).
std::string ExecuteWith(const std::string& key, const std::string& value) {
  json::object base = PythonRequest("print(1)\n");
  base.erase(key);
  // The value's text goes in as written (JSON would normalise some of it).
  std::string text = json::serialize(base);
  text.insert(1, "\"" + key + "\":" + value + ",");
  return text;
}

std::string OneFile(const std::string& name_json) {
  return R"({"runtime":"python-3.11","files":[{"name":)" + name_json + R"j(,"content":"print(1)"}]})j";
}

TEST_F(BadInput, MalformedJsonIsRefusedWith400) {
  for (const std::string body : {"{", R"({"runtime": "python-3.11",)", "nul", "", "{'runtime': 1}", R"({"a":1}})",
                                 R"({"a" 1})", "\xef\xbb\xbf{}"}) {
    EXPECT_TRUE(IsError(http().Post("/api/v1/execute", body), 400, "invalid_request")) << body;
  }
  EXPECT_TRUE(IsError(http().Post("/api/v1/projects", "{"), 400, "invalid_request"));
  EXPECT_TRUE(IsError(http().Post("/api/v1/execute/batch", "[{]"), 400, "invalid_request"));
}

TEST_F(BadInput, JsonThatIsNotAnObjectIsRefusedWith400) {
  for (const std::string body : {"[]", "42", "\"text\"", "null", "true", "[{}]"}) {
    EXPECT_TRUE(IsError(http().Post("/api/v1/execute", body), 400, "invalid_request")) << body;
    EXPECT_TRUE(IsError(http().Post("/api/v1/projects", body), 400, "invalid_request")) << body;
  }
}

TEST_F(BadInput, InvalidUtf8InJsonIsRefusedWith400) {
  const std::vector<std::string> bad_texts = {"\xff", "\xc3", "\xed\xa0\x80", "\\ud800", "\xf8\x88\x80\x80\x80"};
  for (const auto& bad : bad_texts) {
    const std::string in_content = R"({"runtime":"python-3.11","files":[{"name":"main.py","content":")" + bad + "\"}]}";
    EXPECT_TRUE(IsError(http().Post("/api/v1/execute", in_content), 400, "invalid_request")) << in_content;
    EXPECT_TRUE(IsError(http().Post("/api/v1/execute", OneFile("\"m" + bad + ".py\"")), 400, "invalid_request"));
  }
  // A project file's path must be UTF-8 too (its content is raw bytes, any bytes).
  const std::string project = CreateProject("python-3.11", {{"main.py", "print(1)\n"}});
  EXPECT_TRUE(IsError(http().Put("/api/v1/projects/" + project + "/files/bad%ff.py", "x"), 400, "invalid_request"));
  EXPECT_EQ(http().Put("/api/v1/projects/" + project + "/files/data.bin", std::string("\xff\x00\xfe", 3)).status, 201);
}

TEST_F(BadInput, ABodyOver16MiBIsRefusedWith413) {
  const std::string big(16u * 1024 * 1024 + 1, 'a');
  EXPECT_TRUE(IsError(http().Post("/api/v1/execute", big), 413, "too_large"));
  // The same without a Content-Length: a chunked body is cut off at the limit.
  std::string chunked =
      "POST /api/v1/execute HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
      "Content-Type: application/json\r\n";
  for (const auto& [name, value] : DefaultHeaders()) chunked += name + ": " + value + "\r\n";  // (logged in)
  chunked += "\r\n";
  const std::string mib(1u << 20, 'b');
  for (int i = 0; i < 17; ++i) chunked += "100000\r\n" + mib + "\r\n";
  chunked += "0\r\n\r\n";
  EXPECT_TRUE(IsError(http().SendRaw(chunked), 413, "too_large"));
  // A project file has its own, smaller limit.
  const std::string project = CreateProject("python-3.11", {{"main.py", "print(1)\n"}});
  EXPECT_TRUE(IsError(http().Put("/api/v1/projects/" + project + "/files/big.txt", std::string((1u << 20) + 1, 'c')),
                      413, "too_large"));
  // Just under the limit is read and judged on its content.
  auto large_ok = Execute(PythonRequest("print(len(open('data.txt').read()))\n",
                                        {{"files", json::array{json::object{{"name", "main.py"},
                                                                            {"content", "print(len(open('data.txt').read()))\n"}},
                                                               json::object{{"name", "data.txt"},
                                                                            {"content", std::string(15u << 20, 'd')}}}}}));
  ASSERT_EQ(large_ok.status, 200) << large_ok.body.substr(0, 300);
  EXPECT_EQ(Str(large_ok.Json(), "stdout"), std::to_string(15u << 20) + "\n");
}

TEST_F(BadInput, AnUnknownRuntimeIsRefused) {
  EXPECT_TRUE(IsError(Execute(json::object{{"runtime", "cobol-85"},
                                           {"files", json::array{json::object{{"name", "main.cob"}, {"content", ""}}}}}),
                      400, "invalid_request"));
  EXPECT_TRUE(IsError(Execute(json::object{{"files", json::array{json::object{{"name", "main.py"}, {"content", ""}}}}}),
                      400, "invalid_request"));
  EXPECT_TRUE(IsError(http().Post("/api/v1/projects", R"({"name":"p","runtime":"cobol-85"})"), 422, "unknown_runtime"));
  const std::string project = CreateProject("python-3.11", {{"main.py", "print(1)\n"}});
  EXPECT_TRUE(IsError(http().Request("PATCH", "/api/v1/projects/" + project, R"({"runtime":"cobol-85"})"), 422,
                      "unknown_runtime"));
}

TEST_F(BadInput, BadFileNamesAreRefusedWith400) {
  const std::vector<std::string> names = {R"("../evil.py")", R"("/etc/passwd")", R"("a/../../b.py")", R"("a\u0000b.py")",
                                 R"("")", R"(".")", R"("..")", R"("a//b.py")", R"("dir/")", "1", "null",
                                 "\"" + std::string(1100, 'n') + "\"", "\"" + std::string(300, 'n') + "/x\""};
  for (const auto& name : names) {
    EXPECT_TRUE(IsError(http().Post("/api/v1/execute", OneFile(name)), 400, "invalid_request")) << name;
  }
  EXPECT_TRUE(IsError(http().Post("/api/v1/execute",
                                  R"({"runtime":"python-3.11","files":[{"name":"main.py","content":"1"},)"
                                  R"({"name":"main.py","content":"2"}]})"),
                      400, "invalid_request"))
      << "a file given twice";

  const std::string project = CreateProject("python-3.11", {{"main.py", "print(1)\n"}});
  const std::string files = "/api/v1/projects/" + project + "/files/";
  for (const std::string path : {"../evil.py", "%2e%2e/evil.py", "a/../../evil.py", "/etc/passwd", "a//b.py", ".",
                                 "dir/./x.py"}) {
    EXPECT_TRUE(IsError(http().Put(files + path, "x"), 400, "invalid_request")) << path;
  }
  // A NUL (or a broken escape) in the URL is refused before routing.
  for (const std::string path : {"a%00b.py", "a%zzb.py", "a%2"}) {
    EXPECT_TRUE(IsError(http().Put(files + path, "x"), 400, "bad_request")) << path;
  }
  // A file and a folder cannot share a name.
  EXPECT_TRUE(IsError(http().Put(files + "main.py/inner.py", "x"), 409, "conflict"));
  auto listing = http().Get(files.substr(0, files.size() - 1));
  ASSERT_EQ(listing.status, 200);
  EXPECT_EQ(listing.Json().as_array().size(), 1u) << "a refused file was stored: " << listing.body;
}

TEST_F(BadInput, FieldsOfTheWrongTypeAreRefusedWith400) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"runtime", "5"},          {"runtime", "[\"python-3.11\"]"},
      {"files", "\"main.py\""},  {"files", "[]"},
      {"files", "[1]"},          {"files", R"j([{"content":"print(1)"}])j"},
      {"files", R"([{"name":"main.py","content":5}])"},
      {"stdin", "5"},            {"stdin", "{}"},
      {"args", "\"-v\""},        {"args", "[1]"},
      {"args", R"(["a\u0000b"])"},
      {"env", "[]"},             {"env", R"({"1ABC":"x"})"},
      {"env", R"({"A":1})"},     {"env", R"({"A=B":"x"})"},
      {"env", R"({"":"x"})"},    {"env", R"({"A":"x\u0000y"})"},
  };
  for (const auto& [key, value] : cases) {
    EXPECT_TRUE(IsError(http().Post("/api/v1/execute", ExecuteWith(key, value)), 400, "invalid_request"))
        << key << "=" << value;
  }
  EXPECT_TRUE(IsError(http().Post("/api/v1/projects", R"({"name":5,"runtime":"python-3.11"})"), 400, "invalid_request"));
  EXPECT_TRUE(IsError(http().Post("/api/v1/projects", R"({"runtime":"python-3.11"})"), 400, "invalid_request"));
  EXPECT_TRUE(IsError(http().Post("/api/v1/projects", R"({"name":"p","runtime":"python-3.11","visibility":"all"})"),
                      400, "invalid_request"));
  const std::string project = CreateProject("python-3.11", {{"main.py", "print(1)\n"}});
  EXPECT_TRUE(IsError(http().Request("PATCH", "/api/v1/projects/" + project, R"({"env":{"A":5}})"), 400,
                      "invalid_request"));
  EXPECT_TRUE(IsError(http().Post("/api/v1/projects/" + project + "/runs", R"({"stdin":5})"), 400, "invalid_request"));
  EXPECT_TRUE(IsError(http().Post("/api/v1/projects/" + project + "/runs", "[1]"), 400, "invalid_request"));
}

// A project's environment is stored and given to every run: a NUL in a value (execve
// takes C strings) was accepted and then made every run of the project internal_error.
TEST_F(BadInput, ProjectEnvWithNulIsRefusedWith400AndRunsStillWork) {
  const std::string project = CreateProject("python-3.11", {{"main.py", "import os; print(os.environ.get('A'))\n"}});
  const auto refused = http().Request("PATCH", "/api/v1/projects/" + project, R"({"env":{"A":"x\u0000y"}})");
  EXPECT_TRUE(IsError(refused, 400, "invalid_request")) << refused.body;
  EXPECT_NE(refused.body.find("NUL"), std::string::npos) << refused.body;
  for (const std::string bad : {R"({"env":{"A\u0000B":"x"}})", R"({"env":{"":"x"}})", R"({"env":{"A=B":"x"}})"}) {
    EXPECT_TRUE(IsError(http().Request("PATCH", "/api/v1/projects/" + project, bad), 400, "invalid_request")) << bad;
  }
  // Nothing of it was kept: the project's runs still work.
  ASSERT_EQ(http().Request("PATCH", "/api/v1/projects/" + project, R"({"env":{"A":"fine"}})").status, 200);
  const auto started = http().Post("/api/v1/projects/" + project + "/runs", "{}");
  ASSERT_EQ(started.status, 202) << started.body;
  const auto run = WaitFinal(Str(started.Json(), "id"));
  EXPECT_EQ(Str(run, "status"), "ok") << json::serialize(run);
}

TEST_F(BadInput, LimitsOutOfRangeOrOfTheWrongTypeAreRefusedWith400) {
  const std::vector<std::string> limits = {
      "\"2s\"",             "[]",                   R"({"time":"0s"})",     R"({"time":"5ms"})",
      R"({"time":"2h"})",   R"({"wall":"3h"})",     R"({"time":"-1s"})",    R"({"time":"soon"})",
      R"({"time":true})",   R"({"time":null})",     R"({"time":{}})",       R"({"memory":"1K"})",
      R"({"memory":"17G"})", R"({"memory":"lots"})", R"({"pids":0})",        R"({"pids":-1})",
      R"({"pids":1.5})",    R"({"pids":"many"})",   R"({"pids":5000})",     R"({"cpus":0})",
      R"({"cpus":65})",     R"({"cpus":"x"})",      R"({"output":"2G"})",   R"({"disk":"1K"})",
      R"({"open_files":3})", R"({"nosuch":1})",
  };
  for (const auto& value : limits) {
    auto r = http().Post("/api/v1/execute", ExecuteWith("limits", value));
    EXPECT_TRUE(IsError(r, 400, "invalid_request")) << "limits " << value;
  }
  // In range: accepted.
  auto ok = http().Post("/api/v1/execute", ExecuteWith("limits", R"({"time":"1s","wall":"10s","memory":"128M",)"
                                                                  R"("pids":16,"output":"64K","cpus":0.5})"));
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Str(ok.Json(), "status"), "ok");
}

TEST_F(BadInput, UnknownRoutesAre404) {
  // (Other paths are the web UI's: its pages, or its 404 for a file it does not have.)
  for (const std::string path : {"/api/v1/nope", "/api/v1", "/api/v2/runtimes", "/api/v1/runs/",
                                 "/api/v1/runs/aaaaaaaaaaaaaaaaaaaa", "/api/v1/runs/nope/logs",
                                 "/api/v1/runs/nope/events", "/api/v1/projects/nope", "/api/v1/projects/nope/files",
                                 "/api/v1/projects/nope/files/main.py", "/api/v1/runtimes/extra/part"}) {
    EXPECT_TRUE(IsError(http().Get(path), 404, "not_found")) << path;
  }
  EXPECT_TRUE(IsError(http().Post("/api/v1/runs/nope/stop"), 404, "not_found"));
  EXPECT_TRUE(IsError(http().Post("/api/v1/projects/nope/runs"), 404, "not_found"));
  // Outside /api/, a page of the UI answers with the UI (the server's own web/dist, or the
  // page that says how to build it); a file the UI does not have is a 404.
  auto page = http().Get("/nope");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<!doctype html>"), std::string::npos) << page.body.substr(0, 200);
  EXPECT_EQ(http().Get("/assets/nope.js").status, 404);
  EXPECT_EQ(http().Post("/nope").status, 404) << "only GET and HEAD reach the UI";
}

TEST_F(BadInput, WrongMethodsAre405WithAllow) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"DELETE", "/api/v1/execute"}, {"GET", "/api/v1/execute"},  {"PUT", "/api/v1/runtimes"},
      {"POST", "/healthz"},          {"PATCH", "/api/v1/runs/x"}, {"GET", "/api/v1/runs/x/stop"},
      {"DELETE", "/api/v1/projects"}};
  for (const auto& [method, path] : cases) {
    auto r = http().Request(method, path);
    EXPECT_TRUE(IsError(r, 405, "method_not_allowed")) << method << " " << path;
    EXPECT_FALSE(r.Header("allow").empty()) << method << " " << path << ": a 405 must say what is allowed";
  }
  EXPECT_EQ(http().Request("GET", "/api/v1/execute").Header("allow"), "POST");
  EXPECT_EQ(http().Request("DELETE", "/api/v1/projects").Header("allow"), "GET, HEAD, POST");
}

TEST_F(BadInput, BadQueryParametersAre400) {
  const std::string id = Str(Execute(PythonRequest("print(1)\n")).Json(), "id");
  ASSERT_EQ(id.size(), 20u);
  const std::string logs = "/api/v1/runs/" + id + "/logs";
  for (const std::string query : {"after=-1", "after=abc", "after=1x", "after=1.5", "limit=0", "limit=10001",
                                  "limit=x", "limit=", "limit=1e3", "limit=-5"}) {
    EXPECT_TRUE(IsError(http().Get(logs + "?" + query), 400, "invalid_request")) << query;
  }
  EXPECT_TRUE(IsError(http().Get(logs + "?after=%zz"), 400, "bad_request"));
  EXPECT_EQ(http().Get(logs + "?after=0&limit=10000").status, 200);
  for (const std::string resume : {"ten", "-1", "1.0"}) {
    SseStream events(http().port(), "/api/v1/runs/" + id + "/events", {{"Last-Event-ID", resume}});
    EXPECT_EQ(events.status(), 400) << resume;
    EXPECT_NE(events.error_body().find("invalid_request"), std::string::npos) << events.error_body();
  }
  SseStream bad_after(http().port(), "/api/v1/runs/" + id + "/events?after=x");
  EXPECT_EQ(bad_after.status(), 400);
}

TEST_F(BadInput, MalformedHttpIsRefusedWith400) {
  const std::vector<std::string> requests = {
      "GARBAGE\r\n\r\n",
      "GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
      // (A route that reads its body without a login: others answer 401 first.)
      "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(70000, 'h') + "\r\n\r\n",
      "GET healthz HTTP/1.1\r\nHost: x\r\n\r\n",
  };
  for (const auto& raw : requests) {
    try {
      auto r = http().SendRaw(raw);
      EXPECT_EQ(r.status, 400) << raw.substr(0, 80) << " -> " << r.body;
      EXPECT_NE(r.Json().as_object().if_contains("error"), nullptr) << r.body;
    } catch (const std::exception& e) {
      ADD_FAILURE() << raw.substr(0, 80) << ": no answer (" << e.what() << ")";
    }
  }
}

}  // namespace
}  // namespace runlet::testing
