// /healthz and the admin's platform list of a server whose default platform is a Docker
// engine that stops answering: the real engine (scripts/start-docker) behind a proxy
// (RUNLET_DOCKER_SOCKET) that goes silent with its connections open. Both answer within
// seconds that the engine is not healthy, and while they wait, the server's HTTP threads
// answer everything else at once. Then the engine answers again.
#include <chrono>
#include <cstdlib>
#include <future>
#include <thread>

#include "../platform/engine_proxy.h"
#include "accounts_test.h"

namespace runlet::testing {
namespace {

using Clock = std::chrono::steady_clock;

int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

class HungEngine : public AccountsTest {
 protected:
  void SetUp() override {
    const std::string start = std::string(RUNLET_START_DOCKER) + " >/dev/null 2>/tmp/runlet-start-docker.err";
    ASSERT_EQ(std::system(start.c_str()), 0) << "scripts/start-docker failed: see /tmp/runlet-start-docker.err";
    proxy_ = std::make_unique<EngineProxy>();
    ::setenv("RUNLET_DOCKER_SOCKET", proxy_->path().c_str(), 1);  // the server's child inherits it
    AccountsTest::SetUp();
    ::unsetenv("RUNLET_DOCKER_SOCKET");
  }
  // Docker is the default: started (through the proxy) before the server serves.
  std::vector<std::string> ServerArgs() const override {
    return {"--platforms", "native,docker", "--platform", "docker"};
  }

  void TearDown() override {
    if (proxy_) proxy_->Resume();  // the fixture's last /healthz expects an engine that answers
    AccountsTest::TearDown();
  }

  std::unique_ptr<EngineProxy> proxy_;  // outlives the server (TearDown stops that)
};

TEST_F(HungEngine, HealthzAndThePlatformListSayItWithinSecondsAndNothingElseWaits) {
  const std::string admin = NewAdmin("boss");
  auto healthy = http().Get("/healthz");
  ASSERT_EQ(healthy.status, 200) << healthy.body;
  EXPECT_EQ(Str(healthy.Json(), "platform"), "docker");

  proxy_->Silence();
  // As many health checks at once as the server has HTTP threads (2): before, they held
  // both, and every other request waited for the engine.
  const unsigned short port = server().port();
  auto check = [port] {
    const auto start = Clock::now();
    auto r = HttpClient(port, std::chrono::seconds(30)).Get("/healthz");
    return std::make_pair(r, MsSince(start));
  };
  auto first = std::async(std::launch::async, check);
  auto second = std::async(std::launch::async, check);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto during = Clock::now();
  auto runtimes = http().Get("/api/v1/runtimes");
  EXPECT_EQ(runtimes.status, 200) << runtimes.body;
  EXPECT_LT(MsSince(during), 1000) << "a request waited for a health check of the hung engine";
  EXPECT_EQ(first.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout) << "the check did not wait";

  for (auto* f : {&first, &second}) {
    auto [r, took] = f->get();
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(Str(r.Json(), "status"), "degraded");
    EXPECT_NE(Str(r.Json(), "detail").find("docker engine did not answer in time"), std::string::npos) << r.body;
    EXPECT_LT(took, 4000);
  }

  const auto start = Clock::now();
  auto list = Send("GET", "/api/v1/admin/platforms", As(admin));
  EXPECT_LT(MsSince(start), 4000);
  ASSERT_EQ(list.status, 200) << list.body;
  std::map<std::string, json::object> platforms;
  for (const auto& p : list.Json().as_array()) platforms[Str(p, "name")] = p.as_object();
  ASSERT_EQ(platforms.size(), 2u) << list.body;
  EXPECT_TRUE(platforms["docker"].at("started").as_bool()) << list.body;
  EXPECT_FALSE(platforms["docker"].at("healthy").as_bool()) << list.body;
  EXPECT_NE(Str(platforms["docker"], "detail").find("did not answer in time"), std::string::npos) << list.body;
}

}  // namespace
}  // namespace runlet::testing
