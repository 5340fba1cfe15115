// A run's output as line entries: paged with after/limit/next/done, and streamed live as
// server-sent events that resume from Last-Event-ID.
#include <thread>

#include "server_test.h"

namespace runlet::testing {
namespace {

using Logs = ServerTest;

// 2500 numbered stdout lines of varying length with a blank line every 250th, a stderr
// line every 500th, and a last stdout line without a newline.
constexpr const char* kManyLines =
    "import sys\n"
    "for i in range(1, 2501):\n"
    "    if i % 250 == 0:\n"
    "        print()\n"
    "    else:\n"
    "        print(f'line {i} ' + 'x' * (i % 7))\n"
    "    if i % 500 == 0:\n"
    "        print(f'err {i}', file=sys.stderr)\n"
    "sys.stdout.write('the last line, no newline')\n";

std::string ExpectedStdout() {
  std::string out;
  for (int i = 1; i <= 2500; ++i) {
    if (i % 250 != 0) out += "line " + std::to_string(i) + " " + std::string(static_cast<size_t>(i % 7), 'x');
    out += "\n";
  }
  return out + "the last line, no newline";
}

std::string ExpectedStderr() {
  std::string err;
  for (int i = 500; i <= 2500; i += 500) err += "err " + std::to_string(i) + "\n";
  return err;
}

// Every entry, read page by page; checks the paging fields on the way.
std::vector<json::object> ReadAllPages(HttpClient& http, const std::string& id, int limit, int& pages) {
  std::vector<json::object> all;
  int64_t after = 0;
  pages = 0;
  for (;;) {
    auto r = http.Get("/api/v1/runs/" + id + "/logs?after=" + std::to_string(after) + "&limit=" + std::to_string(limit));
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) break;
    const auto page = r.Json().as_object();
    EXPECT_EQ(page.size(), 3u) << "a page is {entries, next, done}";
    const auto& entries = page.at("entries").as_array();
    const bool done = page.at("done").as_bool();
    const int64_t next = page.at("next").as_int64();
    ++pages;
    EXPECT_LE(entries.size(), static_cast<size_t>(limit));
    if (!done) {
      EXPECT_EQ(entries.size(), static_cast<size_t>(limit)) << "a short page that is not the last";
    }
    EXPECT_EQ(next, entries.empty() ? after : entries.back().at("seq").as_int64());
    for (const auto& e : entries) all.push_back(e.as_object());
    if (done || pages > 10000) break;
    after = next;
  }
  return all;
}

TEST_F(Logs, PagesOfTheLogReproduceTheOutputExactly) {
  const std::string id = StartExecute(PythonRequest(kManyLines, {{"limits", json::object{{"wall", "60s"}}}}));
  const auto final = WaitFinal(id);
  ASSERT_EQ(Str(final, "status"), "ok") << json::serialize(final);
  ASSERT_EQ(Str(final, "stdout"), ExpectedStdout()) << "the run itself printed something else";

  for (int limit : {1000, 97, 10000}) {
    SCOPED_TRACE("limit=" + std::to_string(limit));
    int pages = 0;
    const auto entries = ReadAllPages(http(), id, limit, pages);
    ASSERT_EQ(entries.size(), 2501u + 5u);
    EXPECT_EQ(pages, static_cast<int>((entries.size() + static_cast<size_t>(limit) - 1) / static_cast<size_t>(limit)));
    std::string out, err;
    bool first_out = true, first_err = true;
    for (size_t i = 0; i < entries.size(); ++i) {
      const auto& e = entries[i];
      ASSERT_EQ(e.at("seq").as_int64(), static_cast<int64_t>(i + 1)) << "seq has a gap or does not start at 1";
      ASSERT_EQ(e.size(), 4u) << json::serialize(e);
      EXPECT_EQ(Str(e, "time").size(), 24u) << Str(e, "time");
      const std::string stream = Str(e, "stream");
      const std::string text = Str(e, "text");
      ASSERT_EQ(text.find('\n'), std::string::npos);
      if (stream == "stdout") {
        out += (first_out ? "" : "\n") + text;
        first_out = false;
      } else {
        ASSERT_EQ(stream, "stderr");
        err += text + "\n";
        first_err = false;
      }
    }
    EXPECT_FALSE(first_err);
    EXPECT_EQ(out, ExpectedStdout());
    EXPECT_EQ(err, ExpectedStderr());
  }

  // Past the end: nothing, done, and next stays where it was.
  for (const std::string after : {"2506", "99999"}) {
    auto r = http().Get("/api/v1/runs/" + id + "/logs?after=" + after);
    ASSERT_EQ(r.status, 200);
    EXPECT_TRUE(r.Json().at("entries").as_array().empty());
    EXPECT_EQ(std::to_string(r.Json().at("next").as_int64()), after);
    EXPECT_TRUE(r.Json().at("done").as_bool());
  }
}

TEST_F(Logs, TheLogIsNotDoneUntilTheRunHasEndedAndEveryEntryWasReturned) {
  const std::string id = StartExecute(PythonRequest("import time\nprint('a', flush=True)\ntime.sleep(1.5)\nprint('b')\n",
                                                    {{"limits", json::object{{"wall", "30s"}}}}));
  WaitForOutput(id);
  auto live = http().Get("/api/v1/runs/" + id + "/logs");
  ASSERT_EQ(live.status, 200);
  EXPECT_EQ(live.Json().at("entries").as_array().size(), 1u) << live.body;
  EXPECT_FALSE(live.Json().at("done").as_bool()) << live.body;
  EXPECT_EQ(live.Json().at("next").as_int64(), 1);
  EXPECT_EQ(Str(WaitFinal(id), "status"), "ok");
  auto rest = http().Get("/api/v1/runs/" + id + "/logs?after=1");
  ASSERT_EQ(rest.status, 200);
  ASSERT_EQ(rest.Json().at("entries").as_array().size(), 1u) << rest.body;
  EXPECT_EQ(Str(rest.Json().at("entries").as_array()[0], "text"), "b");
  EXPECT_TRUE(rest.Json().at("done").as_bool());
  // A page that stops short of the last entry is not done, even when the run is.
  auto partial = http().Get("/api/v1/runs/" + id + "/logs?limit=1");
  EXPECT_FALSE(partial.Json().at("done").as_bool()) << partial.body;
}

TEST_F(Logs, EventsArriveLiveBeforeTheRunEndsAndTheEndEventCarriesTheResult) {
  const std::string id = StartExecute(PythonRequest(
      "import time\nfor i in range(1, 16):\n    print(f'tick {i}', flush=True)\n    time.sleep(0.2)\n",
      {{"limits", json::object{{"wall", "60s"}}}}));
  SseStream events(http().port(), "/api/v1/runs/" + id + "/events");
  ASSERT_EQ(events.status(), 200) << events.error_body();
  EXPECT_EQ(events.Header("content-type"), "text/event-stream");

  std::vector<SseEvent> all;
  std::string status_at_first_log;
  while (auto e = events.Next(60s)) {
    if (e->event == "log" && status_at_first_log.empty()) status_at_first_log = Str(GetRun(id), "status");
    all.push_back(*e);
  }
  ASSERT_TRUE(events.closed()) << "the stream neither ended nor closed in time";
  EXPECT_EQ(status_at_first_log, "running") << "the first line did not arrive while the run was going on";

  std::vector<std::string> statuses;
  int64_t expected_seq = 1;
  bool running_before_first_log = false;
  for (size_t i = 0; i < all.size(); ++i) {
    const auto& e = all[i];
    const auto data = json::parse(e.data);
    if (e.event == "status") {
      statuses.push_back(Str(data, "status"));
    } else if (e.event == "log") {
      if (expected_seq == 1) {
        running_before_first_log = !statuses.empty() && statuses.back() == "running";
      }
      EXPECT_EQ(e.id, std::to_string(expected_seq));
      EXPECT_EQ(data.at("seq").as_int64(), expected_seq);
      EXPECT_EQ(Str(data, "stream"), "stdout");
      EXPECT_EQ(Str(data, "text"), "tick " + std::to_string(expected_seq));
      ++expected_seq;
    } else {
      EXPECT_EQ(e.event, "end");
      EXPECT_EQ(i, all.size() - 1) << "events after the end";
      EXPECT_EQ(Str(data, "id"), id);
      EXPECT_EQ(Str(data, "status"), "ok");
      EXPECT_EQ(data.at("exit_code").as_int64(), 0);
      EXPECT_GE(data.at("wall_time_ms").as_int64(), 2800);
      EXPECT_FALSE(data.at("finished_at").is_null());
    }
  }
  EXPECT_EQ(expected_seq, 16) << "not every line arrived";
  EXPECT_TRUE(running_before_first_log) << "no running status before the output";
  ASSERT_FALSE(statuses.empty());
  EXPECT_EQ(statuses.back(), "ok");
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.back().event, "end");
}

// The log event ids of a stream, until its end event; the end's data in `end`.
std::vector<int64_t> CollectLogIds(SseStream& events, std::string& end) {
  std::vector<int64_t> ids;
  while (auto e = events.Next(60s)) {
    if (e->event == "log") {
      ids.push_back(std::stoll(e->id));
      EXPECT_EQ(json::parse(e->data).at("seq").as_int64(), ids.back());
    }
    if (e->event == "end") end = e->data;
  }
  return ids;
}

std::vector<int64_t> Range(int64_t from, int64_t to) {
  std::vector<int64_t> v;
  for (int64_t i = from; i <= to; ++i) v.push_back(i);
  return v;
}

TEST_F(Logs, ResumingWithLastEventIdSendsExactlyTheLaterEntries) {
  const std::string id = StartExecute(PythonRequest(
      "import time\nfor i in range(1, 61):\n    print(f'line {i}', flush=True)\n    time.sleep(0.04)\n",
      {{"limits", json::object{{"wall", "60s"}}}}));
  {
    // Live: read ten entries, then drop the connection.
    SseStream events(http().port(), "/api/v1/runs/" + id + "/events");
    ASSERT_EQ(events.status(), 200);
    int logs = 0;
    while (logs < 10) {
      auto e = events.Next(30s);
      ASSERT_TRUE(e) << "the stream ended early";
      if (e->event == "log") {
        EXPECT_EQ(e->id, std::to_string(++logs));
      }
    }
  }
  {
    SseStream resumed(http().port(), "/api/v1/runs/" + id + "/events", {{"Last-Event-ID", "10"}});
    ASSERT_EQ(resumed.status(), 200);
    std::string end;
    EXPECT_EQ(CollectLogIds(resumed, end), Range(11, 60));
    ASSERT_FALSE(end.empty());
    EXPECT_EQ(Str(json::parse(end), "status"), "ok");
  }
  // After the end: the header and the ?after= parameter resume the same way.
  for (const Headers& headers : {Headers{{"Last-Event-ID", "55"}}, Headers{}}) {
    SseStream resumed(http().port(), "/api/v1/runs/" + id + "/events" + (headers.empty() ? "?after=55" : ""), headers);
    ASSERT_EQ(resumed.status(), 200);
    std::string end;
    EXPECT_EQ(CollectLogIds(resumed, end), Range(56, 60));
    EXPECT_FALSE(end.empty());
  }
  {
    SseStream resumed(http().port(), "/api/v1/runs/" + id + "/events", {{"Last-Event-ID", "60"}});
    std::string end;
    EXPECT_TRUE(CollectLogIds(resumed, end).empty());
    EXPECT_EQ(Str(json::parse(end), "status"), "ok");
  }
  {
    SseStream bad(http().port(), "/api/v1/runs/" + id + "/events", {{"Last-Event-ID", "ten"}});
    EXPECT_EQ(bad.status(), 400) << bad.error_body();
    SseStream unknown(http().port(), "/api/v1/runs/aaaaaaaaaaaaaaaaaaaa/events");
    EXPECT_EQ(unknown.status(), 404) << unknown.error_body();
  }
}

TEST_F(Logs, ManyWatchersOfOneRunEachGetEveryEntry) {
  const std::string id = StartExecute(PythonRequest(
      "import time\nfor i in range(1, 31):\n    print(i, flush=True)\n    time.sleep(0.03)\n",
      {{"limits", json::object{{"wall", "60s"}}}}));
  std::vector<std::unique_ptr<SseStream>> watchers;
  for (int i = 0; i < 20; ++i) {
    watchers.push_back(std::make_unique<SseStream>(http().port(), "/api/v1/runs/" + id + "/events"));
  }
  for (auto& w : watchers) {
    std::string end;
    EXPECT_EQ(CollectLogIds(*w, end), Range(1, 30));
    EXPECT_FALSE(end.empty());
  }
}

}  // namespace
}  // namespace runlet::testing
