// The server's memory per run does not grow with the run's output: an execute result
// keeps the first MiB of each stream (stdout_clipped says there was more) while the log
// keeps everything; a page of the log stops after about a MiB of text; and the server's
// peak RSS stays flat while a run prints 16 MB.
#include <signal.h>

#include <cstdlib>
#include <fstream>

#include "server_test.h"

namespace runlet::testing {
namespace {

constexpr size_t kResultBytes = 1 << 20;  // runs::Options::result_output_bytes

using OutputBound = ServerTest;

// Line i of the programs below: 7 digits, a space, 91 letters, a newline (100 bytes).
std::string Line(int i, char letter) {
  char head[16];
  std::snprintf(head, sizeof head, "%07d ", i);
  return head + std::string(91, letter) + "\n";
}

// Prints `blocks` x 10,000 lines of Line(i, 'y'), one write per block of 1 MB.
std::string BlocksProgram(int blocks) {
  return "import sys\n"
         "for b in range(" + std::to_string(blocks) + "):\n"
         "    sys.stdout.write(''.join('%07d %s\\n' % (b * 10000 + i, 'y' * 91) for i in range(10000)))\n";
}

std::vector<json::object> AllEntries(HttpClient& http, const std::string& id, int limit, int& pages) {
  std::vector<json::object> all;
  int64_t after = 0;
  pages = 0;
  for (;;) {
    auto r = http.Get("/api/v1/runs/" + id + "/logs?after=" + std::to_string(after) + "&limit=" + std::to_string(limit));
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) break;
    ++pages;
    for (const auto& e : r.Json().at("entries").as_array()) all.push_back(e.as_object());
    if (r.Json().at("done").as_bool() || pages > 1000) break;
    after = r.Json().at("next").as_int64();
  }
  return all;
}

TEST_F(OutputBound, AnExecuteResultKeepsTheFirstMebibyteAndTheLogKeepsEverything) {
  auto r = Execute(PythonRequest(BlocksProgram(3) + "print('small', file=sys.stderr)\n",
                                 {{"limits", json::object{{"output", "8M"}, {"wall", "60s"}}}}));
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 2000);
  const auto result = r.Json().as_object();
  ASSERT_EQ(Str(result, "status"), "ok") << Str(result, "message");
  std::string expected;
  for (int i = 0; i < 30000; ++i) expected += Line(i, 'y');
  const std::string out = Str(result, "stdout");
  EXPECT_EQ(out.size(), kResultBytes);
  EXPECT_TRUE(out == expected.substr(0, kResultBytes)) << "the result holds the output's first bytes";
  ASSERT_TRUE(result.contains("stdout_clipped"));
  EXPECT_TRUE(result.at("stdout_clipped").as_bool());
  EXPECT_FALSE(result.at("stdout_truncated").as_bool()) << "the program was not stopped: it stayed within its limit";
  EXPECT_EQ(Str(result, "stderr"), "small\n");
  EXPECT_FALSE(result.contains("stderr_clipped")) << "only a clipped stream says so";

  // The stored run says the same, and its log holds every line.
  const auto stored = GetRun(Str(result, "id"));
  EXPECT_EQ(Str(stored, "stdout").size(), kResultBytes);
  EXPECT_TRUE(stored.at("stdout_clipped").as_bool());
  int pages = 0;
  const auto entries = AllEntries(http(), Str(result, "id"), 10000, pages);
  ASSERT_EQ(entries.size(), 30001u);
  std::string logged;
  for (const auto& e : entries) {
    if (Str(e, "stream") == "stdout") logged += Str(e, "text") + "\n";
  }
  EXPECT_TRUE(logged == expected) << "the log reproduces the whole stdout";
}

TEST_F(OutputBound, SmallOutputsAreWholeAndNotMarkedClipped) {
  auto r = Execute(PythonRequest("print('x' * 1000)\n"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Str(r.Json(), "stdout"), std::string(1000, 'x') + "\n");
  EXPECT_FALSE(r.Json().as_object().contains("stdout_clipped")) << r.body;
}

TEST_F(OutputBound, ALogPageStopsAfterAboutAMebibyteOfText) {
  // 40 lines of 60,000 bytes: 2.4 MB, which a page of 10,000 entries would otherwise carry at once.
  const std::string id = StartExecute(PythonRequest(
      "for i in range(40):\n    print('%02d' % i + 'z' * 59998)\n",
      {{"limits", json::object{{"output", "8M"}, {"wall", "60s"}}}}));
  ASSERT_EQ(Str(WaitFinal(id), "status"), "ok");
  auto first = http().Get("/api/v1/runs/" + id + "/logs?limit=10000");
  ASSERT_EQ(first.status, 200);
  const auto& page = first.Json().at("entries").as_array();
  size_t bytes = 0;
  for (const auto& e : page) bytes += e.at("text").as_string().size();
  EXPECT_LT(page.size(), 40u) << "the first page stops early";
  EXPECT_GE(bytes, kResultBytes - 60000);
  EXPECT_LE(bytes, kResultBytes + 60000);
  EXPECT_FALSE(first.Json().at("done").as_bool());
  EXPECT_EQ(first.Json().at("next").as_int64(), static_cast<int64_t>(page.size()));

  int pages = 0;
  const auto all = AllEntries(http(), id, 10000, pages);
  ASSERT_EQ(all.size(), 40u);
  EXPECT_GE(pages, 3);
  for (size_t i = 0; i < all.size(); ++i) {
    char head[8];
    std::snprintf(head, sizeof head, "%02zu", i);
    EXPECT_EQ(Str(all[i], "text"), head + std::string(59998, 'z')) << "line " << i;
  }

  // The event stream pages the same way and still delivers every line, then the end.
  SseStream events(http().port(), "/api/v1/runs/" + id + "/events");
  ASSERT_EQ(events.status(), 200);
  int lines = 0;
  bool ended = false;
  while (auto e = events.Next(20s)) {
    if (e->event == "log") ++lines;
    if (e->event == "end") {
      ended = true;
      break;
    }
  }
  EXPECT_EQ(lines, 40);
  EXPECT_TRUE(ended);
}

// Peak RSS of a process, and a way to reset it (clear_refs 5) so that a measurement
// starts from now.
uint64_t StatusKiB(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::strtoull(line.c_str() + field.size() + 1, nullptr, 10);
  }
  return 0;
}

class OutputBoundMemory : public ServerTest {
 protected:
  void SetUp() override {
    // An ASan build keeps freed memory in quarantine (256 MiB), which would show up as
    // growth whatever the server holds; with none, RSS tells what is live.
    const char* old = std::getenv("ASAN_OPTIONS");
    std::string options = old ? std::string(old) + ":" : std::string();
    ::setenv("ASAN_OPTIONS", (options + "quarantine_size_mb=0").c_str(), 1);
    ServerTest::SetUp();
  }
};

TEST_F(OutputBoundMemory, ServerPeakMemoryStaysFlatWhileARunPrints16MB) {
  // Warm up: the first run maps the sandbox pool, the interpreter's pages, SQLite's cache.
  ASSERT_EQ(Execute(PythonRequest(BlocksProgram(1), {{"limits", json::object{{"output", "32M"}}}})).status, 200);
  const pid_t pid = server().pid();
  {
    std::ofstream clear("/proc/" + std::to_string(pid) + "/clear_refs");
    clear << "5";
  }
  const uint64_t rss_before = StatusKiB(pid, "VmRSS");
  ASSERT_GT(rss_before, 0u);
  auto r = Execute(PythonRequest(BlocksProgram(16), {{"limits", json::object{{"output", "32M"}, {"wall", "120s"}, {"time", "60s"}}}}));
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 2000);
  ASSERT_EQ(Str(r.Json(), "status"), "ok") << Str(r.Json(), "message");
  EXPECT_EQ(Str(r.Json(), "stdout").size(), kResultBytes);
  const uint64_t peak = StatusKiB(pid, "VmHWM");
  const uint64_t growth_kib = peak > rss_before ? peak - rss_before : 0;
  // 16 MB of output; a server that kept it (in the sandbox's result, the record, its
  // JSON) would grow by several times that.
  EXPECT_LT(growth_kib, 16u * 1024) << "peak RSS grew by " << growth_kib << " KiB (from " << rss_before << " KiB)";
  // The stored log stops at the per-run cap (log_bytes_per_run, 4 MiB by default) and
  // says so; the storage tests check the marker and the cap.
  const auto* truncated = r.Json().as_object().if_contains("log_truncated");
  EXPECT_TRUE(truncated && truncated->as_bool()) << "the log keeps the cap, and says so";
}

}  // namespace
}  // namespace runlet::testing
