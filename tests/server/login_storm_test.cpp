// A storm of logins: each argon2id verification holds 64 MiB. Run on the HTTP threads
// (16 here), 64 logins at once would compute 16 hashes at once (1 GiB) and stall every
// connection; the server computes 2 at once on its hashing workers, lets 32 more wait,
// and answers the rest 503 with Retry-After, while other requests are served.
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "accounts_test.h"

namespace runlet::testing {
namespace {

class LoginStorm : public AccountsTest {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--threads", "16", "--rate", "1000000"}; }
  void SetUp() override {
    // ASan's quarantine would keep every freed hash buffer mapped: with none, the peak
    // RSS tells how many were live at once.
    const char* old = std::getenv("ASAN_OPTIONS");
    ::setenv("ASAN_OPTIONS", ((old ? std::string(old) + ":" : std::string()) + "quarantine_size_mb=0").c_str(), 1);
    AccountsTest::SetUp();
  }
};

uint64_t StatusKiB(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::strtoull(line.c_str() + field.size() + 1, nullptr, 10);
  }
  return 0;
}

double MetricValue(const std::string& metrics, const std::string& series) {
  const auto at = metrics.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::strtod(metrics.c_str() + at + series.size() + 2, nullptr);
}

TEST_F(LoginStorm, AtMostTwoHashesRunAtOnceAndTheExcessGets503WithRetryAfter) {
  NewUser("storm");
  const pid_t pid = server().pid();
  std::ofstream("/proc/" + std::to_string(pid) + "/clear_refs") << "5";  // the peak starts from now
  const uint64_t rss_before = StatusKiB(pid, "VmRSS");
  constexpr int kClients = 64;
  std::vector<HttpResponse> answers(kClients);
  std::atomic<int> ready{0};
  std::atomic<int> healthz_slow{0}, healthz_done{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      ready.fetch_add(1);
      while (ready.load() < kClients) std::this_thread::yield();
      answers[i] = Login("storm", "storm-password");
    });
  }
  // Meanwhile other requests are answered: the HTTP threads do not compute hashes.
  std::thread prober([&] {
    while (ready.load() < kClients) std::this_thread::yield();
    for (int i = 0; i < 5; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      auto r = http().Get("/api/v1/runtimes");
      if (r.status != 200 || std::chrono::steady_clock::now() - t0 > 2s) healthz_slow.fetch_add(1);
      healthz_done.fetch_add(1);
    }
  });
  for (auto& t : threads) t.join();
  prober.join();
  const uint64_t growth_mib = (StatusKiB(pid, "VmHWM") - std::min(rss_before, StatusKiB(pid, "VmHWM"))) / 1024;
  EXPECT_LT(growth_mib, 3u * 64) << "peak RSS grew by " << growth_mib << " MiB: more than 2 hashes of 64 MiB at once";

  int ok = 0, busy = 0;
  for (const auto& a : answers) {
    if (a.status == 200) {
      ++ok;
      EXPECT_FALSE(Str(a.Json(), "token").empty());
    } else {
      EXPECT_TRUE(IsError(a, 503, "busy")) << a.status << " " << a.body;
      EXPECT_EQ(a.Header("retry-after"), "1");
      ++busy;
    }
  }
  EXPECT_GE(ok, 2 + 1) << "the ones that fit ran";
  EXPECT_GT(busy, 0) << "64 logins at once exceed 2 running + 32 waiting";
  EXPECT_EQ(healthz_done.load(), 5);
  EXPECT_EQ(healthz_slow.load(), 0) << "requests that need no hash are answered during the storm";

  // A worker counts its task as done just after the task has answered: poll briefly.
  HttpResponse metrics;
  for (int i = 0; i < 50; ++i) {
    metrics = http().Get("/metrics");
    ASSERT_EQ(metrics.status, 200);
    if (MetricValue(metrics.body, "runlet_password_hashes{state=\"running\"}") == 0) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(MetricValue(metrics.body, "runlet_password_hashes{state=\"peak\"}"), 2) << metrics.body.substr(0, 3000);
  EXPECT_EQ(MetricValue(metrics.body, "runlet_password_hashes{state=\"running\"}"), 0);

  // Once it has passed, logins work again.
  EXPECT_EQ(Login("storm", "storm-password").status, 200);
}

}  // namespace
}  // namespace runlet::testing
