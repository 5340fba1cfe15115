// The Judge0 CE compatible API (/judge0) against the real server: languages, statuses,
// submissions (wait, fields, base64 in both styles, expected output, runs, additional
// files, the multi-file program, batches, pages, callbacks), X-Auth-Token, and bad input
// answered with Judge0's own error shapes.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include <boost/beast/core/detail/base64.hpp>

#include "accounts_test.h"

namespace runlet::testing {
namespace {

class Judge0Api : public AccountsTest {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--compat", "judge0"}; }

  HttpResponse Submit(const json::object& body, const std::string& query = "?wait=true") {
    return http().Request("POST", "/judge0/submissions" + query, json::serialize(body),
                          {{"Content-Type", "application/json"}});
  }
  static json::object Python(const std::string& code, json::object extra = {}) {
    extra["language_id"] = 71;
    extra["source_code"] = code;
    return extra;
  }
  static std::string B64(const std::string& text) {
    std::string out(boost::beast::detail::base64::encoded_size(text.size()), '\0');
    out.resize(boost::beast::detail::base64::encode(out.data(), text.data(), text.size()));
    return out;
  }
  static int StatusId(const json::value& submission) {
    return static_cast<int>(submission.at("status").at("id").as_int64());
  }
  // Whether `r` is `status` with {"error": text containing `text`}.
  static ::testing::AssertionResult IsJudge0Error(const HttpResponse& r, int status, const std::string& text) {
    if (r.status != status) return ::testing::AssertionFailure() << "status " << r.status << ": " << r.body;
    const auto& v = r.Json();
    if (!v.is_object() || !v.as_object().contains("error") || !v.at("error").is_string())
      return ::testing::AssertionFailure() << "not {\"error\"}: " << r.body;
    if (std::string(v.at("error").as_string()).find(text) == std::string::npos)
      return ::testing::AssertionFailure() << "error lacks \"" << text << "\": " << r.body;
    return ::testing::AssertionSuccess();
  }
  // Polls GET /judge0/submissions/{token} until it is neither queued nor processing.
  json::value WaitFor(const std::string& token, const std::string& query = "") {
    for (int i = 0; i < 600; ++i) {
      auto r = http().Get("/judge0/submissions/" + token + query);
      EXPECT_EQ(r.status, 200) << r.body;
      if (r.status != 200) return nullptr;
      if (StatusId(r.Json()) > 2) return r.Json();
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "submission " << token << " did not finish";
    return nullptr;
  }
  // A zip archive of `files` (name -> content), base64 encoded (python3's zipfile).
  std::string Zip(const std::map<std::string, std::string>& files) {
    json::object spec;
    for (const auto& [name, content] : files) spec[name] = content;
    const std::string in = dir_->path() + "/zip-spec.json";
    std::ofstream(in) << json::serialize(spec);
    const std::string command =
        "python3 -c 'import base64,io,json,sys,zipfile\n"
        "b=io.BytesIO()\nz=zipfile.ZipFile(b,\"w\")\n"
        "[z.writestr(k,v) for k,v in json.load(open(sys.argv[1])).items()]\nz.close()\n"
        "print(base64.b64encode(b.getvalue()).decode())' " + in;
    FILE* p = ::popen(command.c_str(), "r");
    std::string out;
    char buf[4096];
    size_t n;
    while (p && (n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    if (p) ::pclose(p);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }
  // Runs finished since `base` (the metric counts a run just after its result is
  // delivered): once `expected` are counted, and a moment more to see no other come.
  int64_t RunsSince(int64_t base, int64_t expected) {
    for (int i = 0; i < 100 && RunsFinished() - base < expected; ++i) std::this_thread::sleep_for(50ms);
    std::this_thread::sleep_for(500ms);
    return RunsFinished() - base;
  }
  int64_t RunsFinished() {
    auto m = http().Get("/metrics");
    int64_t total = 0;
    std::istringstream lines(m.body);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.rfind("runlet_runs_total{", 0) == 0) total += std::atoll(line.substr(line.rfind(' ') + 1).c_str());
    }
    return total;
  }
};

TEST_F(Judge0Api, LanguagesUseJudge0sIdsAndStatusesItsFourteen) {
  auto r = http().Get("/judge0/languages");
  ASSERT_EQ(r.status, 200) << r.body;
  std::map<int64_t, std::string> names;
  for (const auto& l : r.Json().as_array()) {
    EXPECT_EQ(l.as_object().size(), 2u) << "{id, name}: " << l;
    names[l.at("id").as_int64()] = Str(l, "name");
  }
  EXPECT_EQ(names[71].rfind("Python (3.11.", 0), 0u) << names[71];
  EXPECT_EQ(names[50].rfind("C (GCC 12.", 0), 0u) << names[50];
  EXPECT_EQ(names[54].rfind("C++ (GCC 12.", 0), 0u) << names[54];
  for (int id : {62, 63, 60, 73, 72, 68, 85, 46, 89}) EXPECT_TRUE(names.count(id)) << id << " in " << r.body;

  auto one = http().Get("/judge0/languages/71");
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(Str(one.Json(), "source_file"), "main.py");
  EXPECT_FALSE(one.Json().at("is_archived").as_bool());
  EXPECT_TRUE(one.Json().at("compile_cmd").is_null());
  EXPECT_FALSE(http().Get("/judge0/languages/50").Json().at("compile_cmd").is_null());
  EXPECT_TRUE(IsJudge0Error(http().Get("/judge0/languages/999"), 404, "999"));
  EXPECT_TRUE(IsJudge0Error(http().Get("/judge0/languages/x"), 404, "x"));
  auto all = http().Get("/judge0/languages/all");
  ASSERT_EQ(all.status, 200);
  EXPECT_TRUE(all.Json().as_array().front().as_object().contains("is_archived"));

  auto statuses = http().Get("/judge0/statuses");
  ASSERT_EQ(statuses.status, 200);
  const auto& list = statuses.Json().as_array();
  ASSERT_EQ(list.size(), 14u);
  EXPECT_EQ(Str(list[2], "description"), "Accepted");
  EXPECT_EQ(Str(list[10], "description"), "Runtime Error (NZEC)");
  EXPECT_EQ(Str(list[13], "description"), "Exec Format Error");

  EXPECT_EQ(http().Get("/judge0/about").status, 200);
  auto config = http().Get("/judge0/config_info");
  ASSERT_EQ(config.status, 200);
  EXPECT_EQ(config.Json().at("max_submission_batch_size").as_int64(), 20);
  EXPECT_FALSE(config.Json().at("enable_compiler_options").as_bool());
}

TEST_F(Judge0Api, AWaitedSubmissionIsAcceptedOrAWrongAnswerAsJudge0Compares) {
  auto r = Submit(Python("print('hello   ')\nprint('world')\n", {{"expected_output", "hello\nworld  \n\n\n"}}));
  ASSERT_EQ(r.status, 201) << r.body;
  const auto& o = r.Json().as_object();
  // Judge0's default fields, exactly.
  std::set<std::string> keys;
  for (const auto& [k, v] : o) keys.insert(k);
  EXPECT_EQ(keys, (std::set<std::string>{"token", "time", "memory", "stdout", "stderr", "compile_output", "message",
                                         "status"}));
  EXPECT_EQ(StatusId(o), 3) << r.body;
  EXPECT_EQ(Str(o.at("status"), "description"), "Accepted");
  EXPECT_EQ(Str(o, "stdout"), "hello   \nworld\n");
  EXPECT_TRUE(o.at("stderr").is_null());
  EXPECT_TRUE(o.at("time").is_string()) << "seconds as a string";
  EXPECT_NE(Str(o, "time").find('.'), std::string::npos);
  EXPECT_TRUE(o.at("memory").is_int64());
  EXPECT_GT(o.at("memory").as_int64(), 100) << "kilobytes";
  EXPECT_LT(o.at("memory").as_int64(), 2 * 1024 * 1024);
  EXPECT_EQ(Str(o, "token").size(), 36u);

  auto wrong = Submit(Python("print('hello')\n", {{"expected_output", "hell o"}}));
  EXPECT_EQ(StatusId(wrong.Json()), 4) << wrong.body;
  auto leading = Submit(Python("print(' x')\n", {{"expected_output", "x"}}));
  EXPECT_EQ(StatusId(leading.Json()), 4) << "leading spaces count";
  auto none = Submit(Python("print('anything')\n"));
  EXPECT_EQ(StatusId(none.Json()), 3) << "no expected output: accepted";
}

TEST_F(Judge0Api, StatusesFollowWhatEndedTheRun) {
  auto c = [&](const std::string& code, json::object extra = {}) {
    extra["language_id"] = 50;
    extra["source_code"] = code;
    return Submit(extra, "?wait=true&fields=*");
  };
  auto ce = c("int main( {");
  EXPECT_EQ(StatusId(ce.Json()), 6) << ce.body;
  EXPECT_NE(Str(ce.Json(), "compile_output").find("error"), std::string::npos);
  EXPECT_TRUE(ce.Json().at("time").is_null());
  auto nzec = c("int main(){return 4;}");
  EXPECT_EQ(StatusId(nzec.Json()), 11) << nzec.body;
  EXPECT_EQ(nzec.Json().at("exit_code").as_int64(), 4);
  auto segv = c("#include <signal.h>\nint main(){raise(SIGSEGV);}");
  EXPECT_EQ(StatusId(segv.Json()), 7) << segv.body;
  EXPECT_EQ(segv.Json().at("exit_signal").as_int64(), 11);
  auto fpe = c("#include <signal.h>\nint main(){raise(SIGFPE);}");
  EXPECT_EQ(StatusId(fpe.Json()), 9);
  auto abrt = c("#include <stdlib.h>\nint main(){abort();}");
  EXPECT_EQ(StatusId(abrt.Json()), 10);
  auto tle = c("int main(){for(;;);}", {{"cpu_time_limit", 0.2}, {"cpu_extra_time", 0}});
  EXPECT_EQ(StatusId(tle.Json()), 5) << tle.body;
  EXPECT_EQ(Str(tle.Json(), "cpu_time_limit"), "0.2");
  EXPECT_EQ(Str(nzec.Json(), "cpu_time_limit"), "5.0") << "Judge0 writes its decimals as strings";
}

TEST_F(Judge0Api, Base64InEitherStyleAndOutputInMimeStyle) {
  // MIME-style input (line breaks every 60 characters) and one-line input both decode.
  const std::string code = "import sys\nprint('x' * 100)\nprint(sys.stdin.read(), end='')\n";
  auto mime = [](const std::string& flat) {
    std::string out;
    for (size_t i = 0; i < flat.size(); i += 60) out += flat.substr(i, 60) + "\n";
    return out;
  };
  auto b64 = &B64;
  for (bool mime_style : {false, true}) {
    const std::string src = mime_style ? mime(b64(code)) : b64(code);
    auto r = Submit(json::object{{"language_id", 71}, {"source_code", src}, {"stdin", b64("in put")}},
                    "?wait=true&base64_encoded=true");
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string out = Str(r.Json(), "stdout");
    // Ruby's Base64.encode64: a newline after every 60 characters and at the end.
    EXPECT_EQ(out.substr(60, 1), "\n") << out;
    EXPECT_EQ(out.back(), '\n');
    EXPECT_EQ(out, mime(b64(std::string(100, 'x') + "\nin put")));
  }
  auto bad = Submit(json::object{{"language_id", 71}, {"source_code", "%%%"}}, "?wait=true&base64_encoded=true");
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_EQ(bad.Json().at("source_code"), json::array{"is not valid base64"}) << bad.body;
}

TEST_F(Judge0Api, TextThatIsNotUtf8NeedsBase64) {
  // stdin sent in base64 holds bytes that are not UTF-8: shown only in base64.
  auto r = Submit(json::object{{"language_id", 71}, {"source_code", "cHJpbnQoMSk="}, {"stdin", "//4="}},
                  "?wait=true&base64_encoded=true&fields=token,stdin,stdout");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Str(r.Json(), "stdin"), "//4=\n");
  const std::string token = Str(r.Json(), "token");
  EXPECT_TRUE(IsJudge0Error(http().Get("/judge0/submissions/" + token + "?fields=stdin"), 400, "use base64_encoded=true"));
  // A program's output is kept as UTF-8 text (bytes that are not become U+FFFD).
  auto binary = Submit(json::object{{"language_id", 71}, {"source_code", B64("import sys\nsys.stdout.buffer.write(b'\\xff')\n")}},
                       "?wait=true&base64_encoded=true");
  EXPECT_EQ(Str(binary.Json(), "stdout"), "77+9\n") << binary.body;
}

TEST_F(Judge0Api, FieldsSelectWhatIsShown) {
  auto all = Submit(Python("print(1)\n"), "?wait=true&fields=*");
  ASSERT_EQ(all.status, 201) << all.body;
  for (const char* f : {"source_code", "language_id", "language", "stdin", "expected_output", "number_of_runs",
                        "cpu_time_limit", "wall_time", "exit_code", "created_at", "finished_at", "additional_files",
                        "redirect_stderr_to_stdout", "callback_url"})
    EXPECT_TRUE(all.Json().as_object().contains(f)) << f;
  EXPECT_EQ(Str(all.Json(), "source_code"), "print(1)\n");
  EXPECT_EQ(all.Json().at("language").at("id").as_int64(), 71);
  auto two = http().Get("/judge0/submissions/" + Str(all.Json(), "token") + "?fields=stdout,status_id");
  ASSERT_EQ(two.status, 200) << two.body;
  EXPECT_EQ(two.Json().as_object().size(), 2u) << two.body;
  EXPECT_EQ(two.Json().at("status_id").as_int64(), 3);
  EXPECT_TRUE(IsJudge0Error(http().Get("/judge0/submissions/" + Str(all.Json(), "token") + "?fields=stdout,bogus,x"), 400,
                            "invalid fields: [bogus, x]"));
  EXPECT_TRUE(IsJudge0Error(Submit(Python("print(1)"), "?fields=nope"), 400, "invalid fields: [nope]"));
}

TEST_F(Judge0Api, BadSubmissionsGetFieldErrors) {
  auto errors = [&](const json::object& body) {
    auto r = Submit(body, "");
    EXPECT_EQ(r.status, 422) << r.body;
    return r.Json();
  };
  auto e = errors(json::object{});
  EXPECT_EQ(e.at("language_id"), json::array{"can't be blank"});
  EXPECT_EQ(e.at("source_code"), json::array{"can't be blank"});
  EXPECT_EQ(errors(json::object{{"language_id", 4242}, {"source_code", "x"}}).at("language_id"),
            json::array{"language with id 4242 doesn't exist"});
  EXPECT_EQ(errors(Python("x", {{"cpu_time_limit", 100}})).at("cpu_time_limit"),
            json::array{"must be less than or equal to 15.0"});
  EXPECT_EQ(errors(Python("x", {{"memory_limit", 10}})).at("memory_limit"),
            json::array{"must be greater than or equal to 2048"});
  EXPECT_EQ(errors(Python("x", {{"number_of_runs", 0}})).at("number_of_runs"), json::array{"must be greater than 0"});
  EXPECT_EQ(errors(Python("x", {{"wall_time_limit", "soon"}})).at("wall_time_limit"), json::array{"is not a number"});
  EXPECT_EQ(errors(Python("x", {{"enable_network", true}})).at("enable_network"),
            json::array{"enabling network is not allowed"});
  EXPECT_EQ(errors(Python("x", {{"compiler_options", "-O2"}})).at("compiler_options"),
            json::array{"setting compiler options is not allowed"});
  // No --callback-allow here: loopback targets are refused by the callback rules.
  EXPECT_TRUE(errors(Python("x", {{"callback_url", "http://127.0.0.1:1/"}})).at("callback_url").is_array());
  EXPECT_TRUE(errors(Python("x", {{"additional_files", "bm90IGEgemlw"}})).at("additional_files").is_array());
  EXPECT_TRUE(IsJudge0Error(http().Request("POST", "/judge0/submissions", "{", {}), 400, "JSON"));
  // JSON whatever the Content-Type.
  auto plain = http().Request("POST", "/judge0/submissions?wait=true", json::serialize(Python("print(2)")),
                              {{"Content-Type", "text/plain"}});
  EXPECT_EQ(plain.status, 201) << plain.body;
}

TEST_F(Judge0Api, AsyncSubmissionsAreReadByTokenOnlyByTheirOwner) {
  auto r = Submit(Python("import time\ntime.sleep(0.3)\nprint('later')\n"), "");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.Json().as_object().size(), 1u) << "only the token: " << r.body;
  const std::string token = Str(r.Json(), "token");
  auto done = WaitFor(token);
  EXPECT_EQ(Str(done, "stdout"), "later\n");
  // Another user's token does not open it, X-Auth-Token or Bearer.
  const std::string other = NewUser("mallory");
  EXPECT_TRUE(IsJudge0Error(Send("GET", "/judge0/submissions/" + token, As(other)), 404, "Couldn't find"));
  EXPECT_TRUE(IsJudge0Error(
      http().Get("/judge0/submissions/" + token, {{"Authorization", ""}, {"X-Auth-Token", other}}), 404, "Couldn't find"));
  EXPECT_TRUE(IsJudge0Error(http().Get("/judge0/submissions/" + token, {{"Authorization", ""}}), 401, "X-Auth-Token"));
  EXPECT_TRUE(IsJudge0Error(http().Get("/judge0/submissions/" + token, {{"Authorization", ""}, {"X-Auth-Token", "nope"}}),
                            401, "unknown"));
  EXPECT_TRUE(IsJudge0Error(http().Request("DELETE", "/judge0/submissions/" + token), 400, "delete not allowed"));
}

TEST_F(Judge0Api, PagesListTheCallersSubmissionsNewestFirst) {
  std::vector<std::string> tokens;
  for (int i = 0; i < 3; ++i) tokens.push_back(Str(Submit(Python("print(" + std::to_string(i) + ")")).Json(), "token"));
  auto page = http().Get("/judge0/submissions?page=1&per_page=2&fields=token,stdout");
  ASSERT_EQ(page.status, 200) << page.body;
  const auto& list = page.Json().at("submissions").as_array();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(Str(list[0], "token"), tokens[2]);
  EXPECT_EQ(Str(list[1], "token"), tokens[1]);
  const auto& meta = page.Json().at("meta");
  EXPECT_EQ(meta.at("total_count").as_int64(), 3);
  EXPECT_EQ(meta.at("total_pages").as_int64(), 2);
  EXPECT_EQ(meta.at("next_page").as_int64(), 2);
  EXPECT_TRUE(meta.at("prev_page").is_null());
  EXPECT_EQ(Send("GET", "/judge0/submissions", As(NewUser("mallory"))).Json().at("meta").at("total_count").as_int64(), 0);
  EXPECT_TRUE(IsJudge0Error(http().Get("/judge0/submissions?page=0"), 400, "invalid page: 0"));
}

TEST_F(Judge0Api, SubmissionsGoWithTheirPrunedRuns) {
  const std::string admin = NewAdmin("boss");
  ASSERT_EQ(Send("PUT", "/api/v1/admin/settings", As(admin), R"j({"execute_runs_per_user": 1})j").status, 200);
  const std::string first = Str(Submit(Python("print(1)")).Json(), "token");
  const std::string second = Str(Submit(Python("print(2)")).Json(), "token");
  // (The run manager prunes just after it has answered.)
  HttpResponse gone;
  for (int i = 0; i < 50; ++i) {
    gone = http().Get("/judge0/submissions/" + first);
    if (gone.status == 404) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(IsJudge0Error(gone, 404, "Couldn't find"));
  const std::string third = Str(Submit(Python("print(3)")).Json(), "token");
  HttpResponse page;
  for (int i = 0; i < 50; ++i) {
    page = http().Get("/judge0/submissions?fields=token");
    ASSERT_EQ(page.status, 200) << page.body;
    if (page.Json().at("meta").at("total_count").as_int64() == 1) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(page.Json().at("meta").at("total_count").as_int64(), 1) << page.body;
  EXPECT_EQ(Str(page.Json().at("submissions").as_array()[0], "token"), third);
  EXPECT_NE(second, third);
}

TEST_F(Judge0Api, BatchesCreateUpToTwentyAndReadByTokens) {
  json::array subs{Python("print('a')"), json::object{{"source_code", "x"}}, Python("print('c')")};
  auto r = http().Request("POST", "/judge0/submissions/batch", json::serialize(json::object{{"submissions", subs}}));
  ASSERT_EQ(r.status, 201) << r.body;
  const auto& out = r.Json().as_array();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(Str(out[0], "token").size(), 36u);
  EXPECT_EQ(out[1].at("language_id"), json::array{"can't be blank"});
  const std::string a = Str(out[0], "token"), c = Str(out[2], "token");
  WaitFor(a);
  WaitFor(c);
  auto read = http().Get("/judge0/submissions/batch?tokens=" + a + ",00000000-0000-4000-8000-000000000000," + c);
  ASSERT_EQ(read.status, 200) << read.body;
  const auto& got = read.Json().at("submissions").as_array();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(Str(got[0], "stdout"), "a\n");
  EXPECT_TRUE(got[1].is_null());
  EXPECT_EQ(Str(got[2], "stdout"), "c\n");

  json::array many;
  for (int i = 0; i < 21; ++i) many.push_back(Python("print(1)"));
  EXPECT_TRUE(IsJudge0Error(http().Request("POST", "/judge0/submissions/batch", json::serialize(json::object{{"submissions", many}})),
                            400, "less than or equal to 20"));
  EXPECT_TRUE(IsJudge0Error(http().Request("POST", "/judge0/submissions/batch", R"j({"submissions": []})j"), 400,
                            "at least one"));
  EXPECT_TRUE(IsJudge0Error(http().Get("/judge0/submissions/batch?tokens="), 400, "at least one"));
  auto none_valid = http().Request("POST", "/judge0/submissions/batch", R"j({"submissions": [{}]})j");
  EXPECT_EQ(none_valid.status, 422) << none_valid.body;
}

TEST_F(Judge0Api, NumberOfRunsRunsTheProgramThatManyTimes) {
  const int64_t before = RunsFinished();
  auto r = Submit(Python("print('again')\n", {{"number_of_runs", 3}, {"expected_output", "again"}}), "?wait=true&fields=*");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(StatusId(r.Json()), 3) << r.body;
  EXPECT_EQ(r.Json().at("number_of_runs").as_int64(), 3);
  EXPECT_EQ(RunsSince(before, 3), 3);
  // A wrong answer stops the runs.
  const int64_t mid = RunsFinished();
  auto wrong = Submit(Python("print('again')\n", {{"number_of_runs", 3}, {"expected_output", "other"}}));
  EXPECT_EQ(StatusId(wrong.Json()), 4);
  EXPECT_EQ(RunsSince(mid, 1), 1);
}

TEST_F(Judge0Api, AdditionalFilesAndTheMultiFileProgram) {
  auto r = Submit(Python("import helper\nprint(helper.greet(), open('data/in.txt').read())\n",
                         {{"additional_files", Zip({{"helper.py", "def greet():\n    return 'hi'\n"},
                                                    {"data/in.txt", "from the zip"}})}}));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Str(r.Json(), "stdout"), "hi from the zip\n") << r.body;

  auto multi = Submit(json::object{{"language_id", 89},
                                   {"additional_files",
                                    Zip({{"compile", "gcc -o prog main.c util.c\n"},
                                         {"run", "./prog \"$@\"\n"},
                                         {"main.c", "#include <stdio.h>\nint twice(int);\nint main(){printf(\"%d\\n\", twice(21));}\n"},
                                         {"util.c", "int twice(int x){return 2*x;}\n"}})}},
                      "?wait=true&fields=stdout,status,compile_output");
  ASSERT_EQ(multi.status, 201) << multi.body;
  EXPECT_EQ(StatusId(multi.Json()), 3) << multi.body;
  EXPECT_EQ(Str(multi.Json(), "stdout"), "42\n");
  auto no_run = Submit(json::object{{"language_id", 89}, {"additional_files", Zip({{"compile", "true\n"}})}});
  EXPECT_EQ(no_run.status, 422) << no_run.body;
  auto with_source = Submit(json::object{{"language_id", 89}, {"source_code", "x"}, {"additional_files", Zip({{"run", "echo\n"}})}}, "");
  EXPECT_EQ(with_source.Json().at("source_code"), json::array{"must be blank"}) << with_source.body;
  auto escape = Submit(Python("print(1)", {{"additional_files", Zip({{"../up.py", "x"}})}}), "");
  EXPECT_EQ(escape.status, 422) << escape.body;
}

TEST_F(Judge0Api, RedirectStderrAndCommandLineArguments) {
  auto r = Submit(Python("import sys\nprint(sys.argv[1:])\nprint('oops', file=sys.stderr)\n",
                         {{"redirect_stderr_to_stdout", true}, {"command_line_arguments", "one 'two words' three"}}));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Str(r.Json(), "stdout"), "['one', 'two words', 'three']\noops\n");
  EXPECT_TRUE(r.Json().at("stderr").is_null());
}

}  // namespace
}  // namespace runlet::testing
