// Health checks of a Docker engine that stops answering: a platform made through a proxy
// to the real engine (EngineProxy), which then goes silent with its connections open.
// Check() says so within its short timeouts, however long the platform's other requests
// may take; the server's platform list checks its platforms at once, and nothing else of
// the set waits for those checks.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "engine_proxy.h"
#include "platform/native/native_platform.h"
#include "platform/platform_set.h"
#include "platform_fixture.h"

namespace runlet::platform::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
}

// Options of a platform that reaches the engine through `proxy`; the requests of runs
// keep their minute-long timeout.
docker::DockerOptions Through(const runlet::testing::EngineProxy& proxy, const std::string& name = "docker") {
  docker::DockerOptions options;
  options.name = name;
  options.socket = proxy.path();
  return options;
}

TEST(EngineHang, CheckOfAnEngineThatStopsAnsweringIsNotOkWithinThreeSeconds) {
  ASSERT_EQ(EnsureDockerEngine(), "");
  runlet::testing::EngineProxy proxy;
  auto docker = docker::DockerPlatform::Create(Through(proxy), TestImages());
  ASSERT_TRUE(docker) << docker.error().message;
  const Health before = (*docker)->Check();
  EXPECT_TRUE(before.ok) << before.detail;

  proxy.Silence();
  const auto start = Clock::now();
  const Health after = (*docker)->Check();
  const int64_t took = MsSince(start);
  EXPECT_FALSE(after.ok);
  EXPECT_NE(after.detail.find("docker engine did not answer in time"), std::string::npos) << after.detail;
  EXPECT_NE(after.detail.find(proxy.path()), std::string::npos) << after.detail;
  EXPECT_LT(took, 3000) << "the platform's request timeout is "
                        << (*docker)->engine().timeouts().request.count() << " ms; a check must not wait that long";
}

// Starting a platform (on first use, or an admin's PUT /admin/platforms) on an engine that
// does not answer fails within the health timeouts, not the minute of a run's requests.
TEST(EngineHang, StartingAPlatformOnAnEngineThatDoesNotAnswerFailsWithinSeconds) {
  ASSERT_EQ(EnsureDockerEngine(), "");
  runlet::testing::EngineProxy proxy;
  proxy.Silence();
  auto start = Clock::now();
  auto docker = docker::DockerPlatform::Create(Through(proxy), TestImages());
  EXPECT_FALSE(docker);
  EXPECT_LT(MsSince(start), 4000);
  swarm::SwarmOptions options;
  options.socket = proxy.path();
  start = Clock::now();
  auto swarm = swarm::SwarmPlatform::Create(options, TestImages());
  EXPECT_FALSE(swarm);
  EXPECT_LT(MsSince(start), 4000);
  if (!swarm) {
    EXPECT_NE(swarm.error().message.find("no answer within"), std::string::npos) << swarm.error().message;
  }
}

TEST(EngineHang, ThePlatformListChecksHungEnginesAtOnceAndNothingElseWaitsForIt) {
  ASSERT_EQ(EnsureDockerEngine(), "");
  runlet::testing::EngineProxy proxy;
  PlatformSet set;
  set.Add("native", []() -> Result<std::unique_ptr<Platform>> {
    auto* native = GetPlatform("native");
    if (!native) return Fail("no native platform");
    return std::unique_ptr<Platform>(new NativePlatform(static_cast<NativePlatform&>(*native)));
  });
  // Three engines behind the same hung socket, each checked with 1.5 s to answer.
  for (const char* name : {"docker", "podman", "gvisor"}) {
    set.Add(name, [&proxy, name]() -> Result<std::unique_ptr<Platform>> {
      auto options = Through(proxy, name);
      options.health_timeouts.request = milliseconds(1500);
      auto p = docker::DockerPlatform::Create(options, TestImages());
      if (!p) return tl::unexpected(p.error());
      return std::unique_ptr<Platform>(std::move(*p));
    });
    ASSERT_TRUE(set.Get(name)) << name;
  }
  ASSERT_TRUE(set.Get("native"));
  proxy.Silence();

  const auto start = Clock::now();
  auto described = std::async(std::launch::async, [&] { return set.Describe(); });
  // While the checks wait on the engine, the set answers everything else at once, and a
  // job runs on the native platform.
  std::this_thread::sleep_for(milliseconds(200));
  ASSERT_EQ(described.wait_for(milliseconds(0)), std::future_status::timeout) << "the checks did not wait";
  const auto during = Clock::now();
  EXPECT_EQ(*set.Choose(""), "native");
  auto native = set.Get("native");
  ASSERT_TRUE(native);
  EXPECT_TRUE(set.Get("docker"));
  EXPECT_LT(MsSince(during), 100) << "the set held a lock while a health check waited";
  auto c = RunJob(**native, MakeTestJob("bash-5.2", "main.sh", "echo still running\n"));
  EXPECT_EQ(c.result.run.stdout_data, "still running\n") << c.result.run.message;

  const auto info = described.get();
  const int64_t took = MsSince(start);
  EXPECT_LT(took, 2500) << "three checks of 1.5 s each, one after the other, would take 4.5 s";
  ASSERT_EQ(info.size(), 4u);
  for (const auto& p : info) {
    EXPECT_TRUE(p.started) << p.name;
    if (p.name == "native") {
      EXPECT_TRUE(p.health.ok) << p.health.detail;
    } else {
      EXPECT_FALSE(p.health.ok) << p.name;
      EXPECT_NE(p.health.detail.find(p.name + " engine did not answer in time"), std::string::npos) << p.health.detail;
    }
  }
}

}  // namespace
}  // namespace runlet::platform::testing
