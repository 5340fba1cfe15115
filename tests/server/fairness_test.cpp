// Fair scheduling: one user's long runs or backlog never keep another user's run waiting
// for more than about one run, and a user's concurrent calls wait their turn in the
// queue instead of being refused.
#include <atomic>
#include <thread>

#include "accounts_test.h"

namespace runlet::testing {
namespace {

using Clock = std::chrono::steady_clock;

class Fairness : public AccountsTest {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--capacity", "2", "--user-runs", "300"}; }

  // POST /execute?wait=false as `token`'s user; the run's id (stopped in TearDown).
  std::string StartAs(const std::string& token, const json::object& request) {
    auto r = Send("POST", "/api/v1/execute?wait=false", As(token), json::serialize(request));
    EXPECT_EQ(r.status, 202) << r.body;
    const std::string id = Str(r.Json(), "id");
    if (r.status == 202) started_.emplace_back(token, id);
    return id;
  }
  json::value RunAs(const std::string& token, const std::string& id) {
    return Send("GET", "/api/v1/runs/" + id, As(token)).Json();
  }
  // Polls until the run is final; its record (status "<timeout>" after `timeout`).
  json::value WaitFinalAs(const std::string& token, const std::string& id, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      json::value run = RunAs(token, id);
      const std::string status = Str(run, "status");
      if (status != "queued" && status != "building" && status != "running") return run;
      if (Clock::now() > deadline) return json::object{{"status", "<timeout>"}};
      std::this_thread::sleep_for(20ms);
    }
  }
  void TearDown() override {
    for (const auto& [token, id] : started_) (void)Send("POST", "/api/v1/runs/" + id + "/stop", As(token));
    AccountsTest::TearDown();
  }
  std::vector<std::pair<std::string, std::string>> started_;
};

json::object Sleeper(int seconds) {
  return PythonRequest("import time\nprint('started', flush=True)\ntime.sleep(" + std::to_string(seconds) + ")\n",
                       {{"limits", json::object{{"wall", "120s"}}}});
}

TEST_F(Fairness, OneUsersLongRunsLeaveRoomForAnotherUsersRun) {
  const std::string a = NewUser("sleepy"), b = NewUser("quick");
  // A fills what the capacity would give it: two runs of a minute.
  const std::string first = StartAs(a, Sleeper(60));
  const std::string second = StartAs(a, Sleeper(60));
  const auto started = Clock::now();
  while (Str(RunAs(a, first), "status") != "running" && Clock::now() - started < 30s) std::this_thread::sleep_for(20ms);
  // B's hello world runs now, not after one of A's minutes.
  const auto submitted = Clock::now();
  const std::string hello = StartAs(b, PythonRequest("print('hello')\n"));
  const auto done = WaitFinalAs(b, hello, 20s);
  EXPECT_EQ(Str(done, "status"), "ok") << json::serialize(done);
  EXPECT_LT(Clock::now() - submitted, 10s);
  // A's second run waits for its first: A holds capacity - 1 executors.
  EXPECT_EQ(Str(RunAs(a, second), "status"), "queued");
}

TEST_F(Fairness, OneUsersBacklogDelaysAnotherUsersRunByAboutOneRun) {
  const std::string a = NewUser("flood"), b = NewUser("single");
  // A queues 40 runs of a second each: 40 s of work for the one executor A may hold.
  std::vector<std::string> backlog;
  for (int i = 0; i < 40; ++i) backlog.push_back(StartAs(a, Sleeper(1)));
  std::this_thread::sleep_for(500ms);
  const auto submitted = Clock::now();
  const std::string mine = StartAs(b, PythonRequest("print('mine')\n"));
  const auto done = WaitFinalAs(b, mine, 60s);
  const auto waited = Clock::now() - submitted;
  EXPECT_EQ(Str(done, "status"), "ok") << json::serialize(done);
  // At most about one of A's runs (1 s) and its own start; FIFO would be 20 s or more.
  EXPECT_LT(waited, 5s) << std::chrono::duration_cast<std::chrono::milliseconds>(waited).count() << " ms";
  int unfinished = 0;
  for (const auto& id : backlog) {
    const std::string status = Str(RunAs(a, id), "status");
    unfinished += status == "queued" || status == "running";
  }
  EXPECT_GE(unfinished, 20);
}

TEST_F(Fairness, TurnsAlternateBetweenUsersWithBacklogs) {
  const std::string a = NewUser("alpha"), b = NewUser("beta");
  // One executor is busy with a third user's minute, the other serves the queues.
  const std::string c = NewUser("gamma");
  StartAs(c, Sleeper(60));
  std::vector<std::string> as, bs;
  for (int i = 0; i < 6; ++i) as.push_back(StartAs(a, PythonRequest("print('a')\n")));
  for (int i = 0; i < 6; ++i) bs.push_back(StartAs(b, PythonRequest("print('b')\n")));
  // B's runs, queued after all of A's, take turns with them.
  const auto b_end = WaitFinalAs(b, bs.back(), 60s);
  ASSERT_EQ(Str(b_end, "status"), "ok");
  // Started runs carry started_at: compare B's first start with A's last.
  const std::string a_last_start = Str(WaitFinalAs(a, as.back(), 60s), "started_at");
  const std::string b_first_start = Str(RunAs(b, bs.front()), "started_at");
  EXPECT_LT(b_first_start, a_last_start) << "B's first run started only after all of A's";
}

class FairnessDefaults : public AccountsTest {};

TEST_F(FairnessDefaults, EightConcurrentExecuteCallsOfOneUserAreAllServed) {
  const std::string token = NewUser("eight");
  std::atomic<int> ok{0};
  std::vector<std::string> failures(8);
  std::vector<std::thread> clients;
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&, i] {
      try {
        auto r = HttpClient(server().port(), 120s)
                     .Request("POST", "/api/v1/execute",
                              json::serialize(PythonRequest("import time\ntime.sleep(0.5)\nprint(" + std::to_string(i) + ")\n")),
                              {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + token}});
        if (r.status == 200 && Str(r.Json(), "status") == "ok" && Str(r.Json(), "stdout") == std::to_string(i) + "\n") {
          ++ok;
        } else {
          failures[i] = std::to_string(r.status) + " " + r.body;
        }
      } catch (const std::exception& e) {
        failures[i] = e.what();
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 8);
  for (const auto& f : failures) EXPECT_EQ(f, "");
}

}  // namespace
}  // namespace runlet::testing
