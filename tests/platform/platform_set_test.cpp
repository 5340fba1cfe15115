// The server's set of platforms: made on first use, one default that changes at run time,
// a runtime's own platform chosen over it, and engines that cannot start refused with
// their reason (then tried again). Real platforms: the native sandbox and Docker engines
// at sockets that do not exist.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "platform/native/native_platform.h"
#include "platform/platform_set.h"
#include "platform_fixture.h"

namespace runlet::platform::testing {
namespace {

PlatformSet::Factory Native(std::atomic<int>* made = nullptr) {
  return [made]() -> Result<std::unique_ptr<Platform>> {
    if (made) ++*made;
    auto* native = GetPlatform("native");
    if (!native) return Fail("no native platform");
    auto& n = static_cast<NativePlatform&>(*native);
    return std::unique_ptr<Platform>(new NativePlatform(n));
  };
}

PlatformSet::Factory Unreachable(std::atomic<int>* tries = nullptr) {
  return [tries]() -> Result<std::unique_ptr<Platform>> {
    if (tries) ++*tries;
    docker::DockerOptions options;
    options.socket = "/nonexistent/docker.sock";
    auto p = docker::DockerPlatform::Create(options, TestImages());
    if (!p) return tl::unexpected(p.error());
    return std::unique_ptr<Platform>(std::move(*p));
  };
}

TEST(PlatformSet, MakesEachPlatformOnceOnFirstUse) {
  std::atomic<int> made{0};
  PlatformSet set;
  set.Add("native", Native(&made));
  EXPECT_EQ(made, 0) << "nothing is made before it is needed";
  EXPECT_FALSE(set.Describe().front().started);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] { ok += set.Get("native").has_value(); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 8);
  EXPECT_EQ(made, 1);
  const auto info = set.Describe();
  ASSERT_EQ(info.size(), 1u);
  EXPECT_TRUE(info[0].started);
  EXPECT_TRUE(info[0].health.ok) << info[0].health.detail;
  EXPECT_TRUE(info[0].is_default) << "the first one added is the default";
}

// A server's start makes every configured platform off the way (each start sweeps its
// engine for what dead servers left), the default and the others, and one that cannot
// start stays for a later Get.
TEST(PlatformSet, StartsEveryPlatformInTheBackgroundAtAServersStart) {
  std::atomic<int> made{0}, tries{0};
  {
    PlatformSet set;
    set.Add("native", Native());
    set.Add("other", Native(&made));
    set.Add("docker", Unreachable(&tries));
    set.StartAllInBackground();
    for (int i = 0; i < 100 && (made == 0 || tries == 0); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(made, 1) << "a platform that is not the default was not started";
    EXPECT_EQ(tries, 1);
  }  // the destructor waits for the starter
  EXPECT_EQ(made, 1);
}

TEST(PlatformSet, ChoosesTheRuntimesPlatformElseTheDefault) {
  PlatformSet set;
  set.Add("native", Native());
  set.Add("docker", Unreachable());
  EXPECT_EQ(set.DefaultName(), "native");
  EXPECT_EQ(*set.Choose(""), "native");
  EXPECT_EQ(*set.Choose("docker"), "docker");
  auto unknown = set.Choose("podman");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(unknown.error().message.find("have: native, docker"), std::string::npos) << unknown.error().message;
  EXPECT_TRUE(set.Has("docker"));
  EXPECT_FALSE(set.Has("podman"));
}

TEST(PlatformSet, RefusesADefaultThatCannotStartAndKeepsTheOldOne) {
  std::atomic<int> tries{0};
  PlatformSet set;
  set.Add("native", Native());
  set.Add("docker", Unreachable(&tries));
  auto st = set.SetDefault("docker");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::kUnavailable);
  EXPECT_NE(st.error().message.find("/nonexistent/docker.sock"), std::string::npos) << st.error().message;
  EXPECT_EQ(set.DefaultName(), "native");
  // Described with its reason; tried again on the next use.
  for (const auto& p : set.Describe()) {
    if (p.name != "docker") continue;
    EXPECT_FALSE(p.started);
    EXPECT_NE(p.health.detail.find("cannot start"), std::string::npos) << p.health.detail;
  }
  EXPECT_FALSE(set.Get("docker"));
  EXPECT_EQ(tries, 2);
  auto unknown = set.SetDefault("gvisor");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, ErrorKind::kNotFound);
}

TEST(PlatformSet, SwitchesTheDefaultToAnEngineThatRuns) {
  ASSERT_NE(GetDocker(), nullptr);  // the engine answers (started by the fixture)
  PlatformSet set;
  set.Add("native", Native());
  set.Add("docker", []() -> Result<std::unique_ptr<Platform>> {
    auto p = docker::DockerPlatform::Create(docker::DockerOptions{}, TestImages());
    if (!p) return tl::unexpected(p.error());
    return std::unique_ptr<Platform>(std::move(*p));
  });
  ASSERT_TRUE(set.SetDefault("docker"));
  EXPECT_EQ(set.DefaultName(), "docker");
  auto chosen = set.Choose("");
  ASSERT_TRUE(chosen);
  auto platform = set.Get(*chosen);
  ASSERT_TRUE(platform);
  EXPECT_EQ((*platform)->Name(), "docker");
  auto c = RunJob(**platform, MakeTestJob("bash-5.2", "main.sh", "[ -e /.dockerenv ] && echo container\n"));
  EXPECT_EQ(c.result.run.stdout_data, "container\n") << c.result.run.message;
  EXPECT_EQ(*set.Choose("native"), "native");
}

}  // namespace
}  // namespace runlet::platform::testing
