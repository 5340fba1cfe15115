// Interactive runs as a person uses them: a prompt without a newline reaches the live
// console while the program waits, the answer goes in over the attach WebSocket, and
// the stored log keeps the prompt as a line before what the answer printed.
#include <thread>

#include "accounts_test.h"

namespace runlet::testing {
namespace {

using Interactive = AccountsTest;

// POST /projects/{id}/runs with `body`, expecting 202; the run's id.
std::string StartRun(ServerTest& t, HttpClient& http, const std::string& project, const std::string& body) {
  auto r = http.Post("/api/v1/projects/" + project + "/runs", body);
  EXPECT_EQ(r.status, 202) << r.body;
  (void)t;
  return Str(r.Json(), "id");
}

std::vector<std::string> LogTexts(HttpClient& http, const std::string& id) {
  auto r = http.Get("/api/v1/runs/" + id + "/logs?limit=100");
  EXPECT_EQ(r.status, 200) << r.body;
  std::vector<std::string> texts;
  for (const auto& e : r.Json().at("entries").as_array()) texts.emplace_back(e.at("text").as_string());
  return texts;
}

TEST_F(Interactive, PromptWithoutNewlineReachesWatchersAndStaysBeforeTheAnswerInTheLog) {
  const std::string project =
      CreateProject("python-3.11", {{"main.py", "name = input('What is your name? ')\nprint('Hello, ' + name)\n"}});
  const std::string id = StartRun(*this, http(), project, R"({"interactive": true})");
  started_runs_.push_back(id);

  SseStream events(http().port(), "/api/v1/runs/" + id + "/events");
  ASSERT_EQ(events.status(), 200);
  bool prompt_seen = false;
  while (!prompt_seen) {
    auto e = events.Next(20s);
    ASSERT_TRUE(e) << "the stream ended (or went quiet) before the prompt was shown";
    ASSERT_NE(e->event, "end") << "the run ended before the prompt was shown: " << e->data;
    ASSERT_NE(e->event, "log") << "a log line before the answer: " << e->data;
    if (e->event == "partial") {
      auto data = json::parse(e->data).as_object();
      EXPECT_EQ(Str(data, "stream"), "stdout");
      prompt_seen = Str(data, "text") == "What is your name? ";
    }
  }
  // The run is still waiting for its answer.
  EXPECT_EQ(Str(GetRun(id), "status"), "running");

  WebSocketClient attach(http().port(), "/api/v1/runs/" + id + "/attach");
  attach.Send(R"({"stdin": "Ada\n"})");
  auto run = WaitFinal(id);
  EXPECT_EQ(Str(run, "status"), "ok");
  EXPECT_EQ(LogTexts(http(), id), (std::vector<std::string>{"What is your name? ", "Hello, Ada"}));

  // The live stream gives the same lines, in the same order, and ends.
  std::vector<std::string> lines;
  for (;;) {
    auto e = events.Next(20s);
    ASSERT_TRUE(e) << "no end event";
    if (e->event == "log") lines.emplace_back(json::parse(e->data).at("text").as_string());
    if (e->event == "end") break;
  }
  EXPECT_EQ(lines, (std::vector<std::string>{"What is your name? ", "Hello, Ada"}));
}

TEST_F(Interactive, ProgressRedrawnWithCarriageReturnsReachesWatchersAsItChanges) {
  // A progress line that never ends while the program works, redrawn with \r.
  const std::string project = CreateProject(
      "python-3.11", {{"main.py",
                       "import sys, time\n"
                       "for i in range(0, 101, 25):\n"
                       "    sys.stdout.write(f'\\rprogress {i}%'); sys.stdout.flush(); time.sleep(0.4)\n"
                       "print()\n"}});
  const std::string id = StartRun(*this, http(), project, "{}");
  started_runs_.push_back(id);
  SseStream events(http().port(), "/api/v1/runs/" + id + "/events");
  std::vector<std::string> partials;
  for (;;) {
    auto e = events.Next(20s);
    ASSERT_TRUE(e);
    if (e->event == "partial") partials.emplace_back(json::parse(e->data).at("text").as_string());
    if (e->event == "end") break;
  }
  ASSERT_GE(partials.size(), 3u) << "the progress line was not shown while it changed";
  EXPECT_EQ(partials.front().rfind("\rprogress ", 0), 0u) << partials.front();
  EXPECT_NE(partials[0], partials[1]);
}

TEST_F(Interactive, APersonHasMinutesNotTheRuntimesFiveSecondsToAnswer) {
  const std::string project =
      CreateProject("python-3.11", {{"main.py", "name = input('Name? ')\nprint('Hello, ' + name)\n"}});
  const std::string id = StartRun(*this, http(), project, R"({"interactive": true})");
  started_runs_.push_back(id);
  auto started = WaitStatus(id, "running");
  // The run's wall limit is the admin's interactive default (5 minutes), not 5 s.
  EXPECT_EQ(Str(started.at("limits"), "wall"), "300000ms");
  std::this_thread::sleep_for(7s);  // reading the prompt, thinking, typing
  WebSocketClient attach(http().port(), "/api/v1/runs/" + id + "/attach");
  attach.Send(R"({"stdin": "Grace\n"})");
  auto run = WaitFinal(id);
  EXPECT_EQ(Str(run, "status"), "ok") << Str(run, "message");
  EXPECT_EQ(LogTexts(http(), id).back(), "Hello, Grace");
}

TEST_F(Interactive, ARunWithNeitherInputNorOutputIsStoppedAtTheIdleLimit) {
  const std::string admin = NewAdmin("root");
  ASSERT_EQ(Send("PUT", "/api/v1/admin/settings", As(admin), R"({"interactive_idle_ms": 2000})").status, 200);
  const std::string project = CreateProject("python-3.11", {{"main.py", "input()\n"}});
  const std::string id = StartRun(*this, http(), project, R"({"interactive": true})");
  started_runs_.push_back(id);
  const auto start = std::chrono::steady_clock::now();
  auto run = WaitFinal(id, 30s);
  EXPECT_EQ(Str(run, "status"), "cancelled");
  EXPECT_EQ(Str(run, "reason"), "idle");
  EXPECT_NE(Str(run, "message").find("no input"), std::string::npos) << Str(run, "message");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 15s);
  // Settings refuse nonsense.
  EXPECT_TRUE(IsError(Send("PUT", "/api/v1/admin/settings", As(admin), R"({"interactive_wall_ms": -5})"), 400,
                      "invalid_request"));
}

TEST_F(Interactive, ArgumentsAndLimitsOfARunAreTheRequestsWithinTheMaxima) {
  const std::string project = CreateProject("python-3.11", {{"main.py", "import sys\nprint(sys.argv[1:])\n"}});
  // What the UI shows before a run: the defaults and the maxima.
  auto limits = http().Get("/api/v1/projects/" + project + "/run-limits");
  ASSERT_EQ(limits.status, 200) << limits.body;
  EXPECT_EQ(Str(limits.Json().at("run"), "wall"), "5000ms");
  EXPECT_EQ(Str(limits.Json().at("interactive"), "wall"), "300000ms");
  EXPECT_EQ(Str(limits.Json().at("max"), "wall"), "300000ms");
  EXPECT_EQ(limits.Json().at("idle_ms").as_int64(), 180000);

  const std::string id =
      StartRun(*this, http(), project, R"({"args": ["one", "two words"], "limits": {"wall": "20s", "time": "1h"}})");
  started_runs_.push_back(id);
  auto run = WaitFinal(id);
  EXPECT_EQ(Str(run, "status"), "ok");
  EXPECT_EQ(LogTexts(http(), id), (std::vector<std::string>{"['one', 'two words']"}));
  EXPECT_EQ(Str(run.at("limits"), "wall"), "20000ms");
  EXPECT_EQ(Str(run.at("limits"), "time"), "60000ms") << "held to the user's maximum CPU time";
  EXPECT_TRUE(IsError(http().Post("/api/v1/projects/" + project + "/runs", R"({"args": "one two"})"), 400, "invalid_request"));
  EXPECT_TRUE(IsError(http().Post("/api/v1/projects/" + project + "/runs", R"({"limits": {"wall": "soon"}})"), 400,
                      "invalid_request"));
}

}  // namespace
}  // namespace runlet::testing
