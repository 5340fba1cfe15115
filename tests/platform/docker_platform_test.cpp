// The Docker platform's own behaviour, against the real engine.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>

#include "platform_fixture.h"

namespace runlet::platform::testing {
namespace {

namespace json = boost::json;
using docker::DockerPlatform;
using docker::EngineClient;

// Containers and volumes with runlet's label whose owner label is `owner`.
size_t CountOwned(const EngineClient& engine, const std::string& owner) {
  const std::string filter = docker::UrlEncode(R"({"label":["runlet.owner=)" + owner + R"("]})");
  size_t n = 0;
  auto containers = engine.Request("GET", "/containers/json?all=1&filters=" + filter);
  EXPECT_TRUE(containers && containers->ok());
  if (containers) n += json::parse(containers->body).as_array().size();
  auto volumes = engine.Request("GET", "/volumes?filters=" + filter);
  EXPECT_TRUE(volumes && volumes->ok());
  if (volumes) {
    const json::value doc = json::parse(volumes->body);
    const auto& list = doc.as_object().at("Volumes");
    if (list.is_array()) n += list.as_array().size();
  }
  return n;
}

std::string CreateLabelled(DockerPlatform& docker, const std::string& owner, const std::string& host = "") {
  auto image = docker.EnsureImage("host");
  EXPECT_TRUE(image) << (image ? "" : image.error().message);
  if (!image) return "";
  json::object labels{{"runlet.managed", "1"}, {"runlet.owner", owner}};
  if (!host.empty()) labels["runlet.host"] = host;
  json::object spec{{"Image", image->ref},
                    {"Cmd", json::array{"sleep", "600"}},
                    {"Labels", std::move(labels)},
                    {"HostConfig", json::object{{"Binds", json::array{"/usr:/usr:ro"}}, {"NetworkMode", "none"}}}};
  auto created = docker.engine().Request("POST", "/containers/create", json::serialize(spec));
  EXPECT_TRUE(created && created->ok()) << (created ? created->body : created.error().message);
  if (!created || !created->ok()) return "";
  return std::string(json::parse(created->body).as_object().at("Id").as_string());
}

bool ContainerExists(const EngineClient& engine, const std::string& id) {
  auto r = engine.Request("GET", "/containers/" + id + "/json");
  return r && r->ok();
}

TEST(DockerPlatform, ReportsTheEngineInCheck) {
  auto* docker = GetDocker();
  ASSERT_NE(docker, nullptr);
  const Health h = docker->Check();
  EXPECT_TRUE(h.ok) << h.detail;
  EXPECT_NE(h.detail.find("docker engine"), std::string::npos) << h.detail;
}

TEST(DockerPlatform, RemovesWhatADeadRunletLeftAndKeepsWhatALiveOneOwns) {
  auto* docker = GetDocker();
  ASSERT_NE(docker, nullptr);
  const std::string dead = CreateLabelled(*docker, "another-boot/1/1");
  const std::string live = CreateLabelled(*docker, docker::OwnerLabel());
  ASSERT_FALSE(dead.empty());
  ASSERT_FALSE(live.empty());

  auto again = DockerPlatform::Create(docker::DockerOptions{}, TestImages());
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_FALSE(ContainerExists(docker->engine(), dead));
  EXPECT_TRUE(ContainerExists(docker->engine(), live));
  (void)docker->engine().Request("DELETE", "/containers/" + live + "?force=1");
}

// Several servers share an engine (a swarm's manager): a runlet on another machine has
// another boot id, which says nothing about whether it lives. Its containers (a swarm
// task's, say) are not this server's to remove, whoever made them.
TEST(DockerPlatform, KeepsWhatARunletOnAnotherMachineMade) {
  auto* docker = GetDocker();
  ASSERT_NE(docker, nullptr);
  const std::string theirs = CreateLabelled(*docker, "another-boot/1/1", "another-machine");
  const std::string ours_dead = CreateLabelled(*docker, "another-boot/1/1", docker::HostLabel());
  ASSERT_FALSE(theirs.empty());
  ASSERT_FALSE(ours_dead.empty());

  auto again = DockerPlatform::Create(docker::DockerOptions{}, TestImages());
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(ContainerExists(docker->engine(), theirs)) << "another machine's container was removed";
  EXPECT_FALSE(ContainerExists(docker->engine(), ours_dead));
  (void)docker->engine().Request("DELETE", "/containers/" + theirs + "?force=1");
}

TEST(DockerPlatform, LeavesNoContainerOrVolumeAfterRuns) {
  auto* docker = GetDocker();
  ASSERT_NE(docker, nullptr);
  runtime::JobRequest limited;
  Limits limits;
  limits.wall_time = std::chrono::milliseconds(500);
  limited.run_limits = limits;
  auto ok = RunJob(*docker, MakeTestJob("bash-5.2", "main.sh", "echo hi\n"));
  EXPECT_EQ(ok.result.run.status, RunStatus::kOk);
  auto killed = RunJob(*docker, MakeTestJob("bash-5.2", "main.sh", "sleep 10 & sleep 10\n", limited));
  EXPECT_EQ(killed.result.run.status, RunStatus::kTimeLimit);
  // Removal happens after the result, on the platform's own thread.
  docker->WaitForRemovals();
  EXPECT_EQ(CountOwned(docker->engine(), docker::OwnerLabel()), 0u);
}

TEST(DockerPlatform, RemovesEverythingOfItsRunsBeforeItGoes) {
  auto* shared = GetDocker();
  ASSERT_NE(shared, nullptr);
  shared->WaitForRemovals();
  ASSERT_EQ(CountOwned(shared->engine(), docker::OwnerLabel()), 0u);
  {
    auto docker = DockerPlatform::Create(docker::DockerOptions{}, TestImages());
    ASSERT_TRUE(docker) << docker.error().message;
    for (int i = 0; i < 3; ++i) {
      auto ok = RunJob(**docker, MakeTestJob("bash-5.2", "main.sh", "echo hi\n"));
      EXPECT_EQ(ok.result.run.status, RunStatus::kOk);
    }
  }  // the destructor waits for the removals queued by the runs
  EXPECT_EQ(CountOwned(shared->engine(), docker::OwnerLabel()), 0u);
}

// The ids of the running containers whose runlet.owner label is `owner`.
std::vector<std::string> RunningContainers(const EngineClient& engine, const std::string& owner) {
  const std::string filter = docker::UrlEncode(R"({"label":["runlet.owner=)" + owner + R"("]})");
  std::vector<std::string> ids;
  auto r = engine.Request("GET", "/containers/json?filters=" + filter);
  if (r && r->ok()) {
    const json::value list = json::parse(r->body);
    for (const auto& c : list.as_array()) ids.emplace_back(c.as_object().at("Id").as_string());
  }
  return ids;
}

docker::DockerPlatform* GetEngine(const std::string& name) {
  return name == "podman" ? GetPodman() : name == "gvisor" ? GetGvisor() : GetDocker();
}

docker::DockerOptions EngineOptions(const std::string& name) {
  return name == "podman" ? docker::PodmanOptions() : name == "gvisor" ? docker::GvisorOptions() : docker::DockerOptions{};
}

class EnginePlatform : public ::testing::TestWithParam<std::string> {};

// A container removed under a running step is the platform's failure, not the program's.
TEST_P(EnginePlatform, ReportsAContainerRemovedUnderARunAsInternalError) {
  auto* engine = GetEngine(GetParam());
  ASSERT_NE(engine, nullptr);
  engine->WaitForRemovals();
  const auto before = RunningContainers(engine->engine(), docker::OwnerLabel());  // another platform's
  std::atomic<bool> removed{false};
  std::thread remover([&] {
    for (int i = 0; i < 200 && !removed; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      for (const auto& id : RunningContainers(engine->engine(), docker::OwnerLabel())) {
        if (std::find(before.begin(), before.end(), id) != before.end()) continue;
        std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // the step is running
        (void)engine->engine().Request("DELETE", "/containers/" + id + "?force=1");
        removed = true;
      }
    }
  });
  auto job = MakeTestJob("bash-5.2", "main.sh", "echo started; sleep 20\n");
  job.run.limits.wall_time = std::chrono::milliseconds(15000);
  auto c = RunJob(*engine, job);
  removed = true;
  remover.join();
  EXPECT_EQ(c.result.run.status, RunStatus::kInternalError) << c.result.run.message;
  EXPECT_NE(c.result.run.message.find("container"), std::string::npos) << c.result.run.message;
}

// A server killed mid-run (kill -9) leaves a job whose limits nobody enforces: its
// container's keeper ends at the job's deadline, and the engine kills the rest then.
TEST_P(EnginePlatform, AJobOutlivesNoDeadServerPastItsDeadline) {
  // The "server" is forked before this process makes a platform of its own: a child
  // forked from a process with threads (a platform's removal and sweep threads) can block
  // forever on a lock one of them held, and its job then never starts.
  ASSERT_EQ(EnsureEngine(GetParam()), "");
  int report[2];
  ASSERT_EQ(::pipe(report), 0);
  const auto wall = std::chrono::milliseconds(3000);
  const pid_t server = ::fork();
  ASSERT_GE(server, 0);
  if (server == 0) {
    // The "server": its own platform, one job of three processes that sleep long.
    ::close(report[0]);
    auto p = DockerPlatform::Create(EngineOptions(GetParam()), TestImages());
    if (!p) ::_exit(1);
    const std::string owner = docker::OwnerLabel() + "\n";
    (void)!::write(report[1], owner.data(), owner.size());
    auto job = MakeTestJob("bash-5.2", "main.sh", "sleep 300 & sleep 300 & sleep 300 & wait\n");
    job.run.limits.wall_time = wall;
    auto result = (*p)->Run(job, {}, -1);
    if (!result) std::fprintf(stderr, "the test's server: %s\n", result.error().message.c_str());
    ::_exit(0);
  }
  ::close(report[1]);
  std::string owner;
  char ch;
  while (::read(report[0], &ch, 1) == 1 && ch != '\n') owner.push_back(ch);
  ::close(report[0]);
  ASSERT_FALSE(owner.empty()) << "the server could not start its platform";
  auto* mine = GetEngine(GetParam());  // (its start removes only dead owners' leftovers)
  if (!mine) {
    ::kill(server, SIGKILL);
    ::waitpid(server, nullptr, 0);
  }
  ASSERT_NE(mine, nullptr);
  const EngineClient& engine = mine->engine();
  const auto started = std::chrono::steady_clock::now();
  // (The first use of the host image builds it: allow for that.)
  while (RunningContainers(engine, owner).empty() && std::chrono::steady_clock::now() - started < std::chrono::seconds(60)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const auto running = RunningContainers(engine, owner);
  if (running.size() != 1u) {  // the "server" must not outlive a failed check
    ::kill(server, SIGKILL);
    ::waitpid(server, nullptr, 0);
  }
  ASSERT_EQ(running.size(), 1u) << "the job's container did not start within 60 s";
  // The job's clock starts with its container (an image import before it does not count).
  const auto seen = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ::kill(server, SIGKILL);
  ::waitpid(server, nullptr, 0);
  // The job's deadline: its wall limit and the keeper's grace (5 s) after the start, and
  // a few seconds for the engine to stop the container.
  const auto deadline = seen + wall + std::chrono::seconds(5) + std::chrono::seconds(5);
  while (!RunningContainers(engine, owner).empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - seen);
  EXPECT_TRUE(RunningContainers(engine, owner).empty())
      << "the job still runs with no server, " << waited.count() << " ms after its container started";
  // The next start of the platform removes what the dead server left.
  auto again = DockerPlatform::Create(EngineOptions(GetParam()), TestImages());
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(CountOwned(engine, owner), 0u);
}

INSTANTIATE_TEST_SUITE_P(Engines, EnginePlatform, ::testing::Values("docker", "podman", "gvisor"),
                         [](const auto& info) { return info.param; });

// An image removed from the engine behind the platform's back (docker image prune) is
// imported again by the next run, not a failure of every later run.
TEST_P(EnginePlatform, ImportsAnImageAgainThatTheEngineLost) {
  auto* engine = GetEngine(GetParam());
  ASSERT_NE(engine, nullptr);
  auto first = RunJob(*engine, MakeTestJob("bash-5.2", "main.sh", "echo one\n"));
  ASSERT_EQ(first.result.run.status, RunStatus::kOk) << first.result.run.message;
  engine->WaitForRemovals();
  auto image = engine->EnsureImage("host");
  ASSERT_TRUE(image) << image.error().message;
  auto removed = engine->engine().Request("DELETE", "/images/" + image->ref + "?force=1");
  ASSERT_TRUE(removed && removed->ok()) << (removed ? removed->body : removed.error().message);
  auto second = RunJob(*engine, MakeTestJob("bash-5.2", "main.sh", "echo two\n"));
  EXPECT_EQ(second.result.run.status, RunStatus::kOk) << second.result.run.message;
  EXPECT_EQ(second.result.run.stdout_data, "two\n");
}

TEST(DockerPlatform, AGvisorPlatformRunsOnRunsc) {
  auto* gvisor = GetGvisor();
  ASSERT_NE(gvisor, nullptr);
  // gVisor's kernel has a release of its own (its boot messages are out of reach: syslog
  // is refused by Runlet's filter, as on the native platform).
  auto c = RunJob(*gvisor, MakeTestJob("bash-5.2", "main.sh", "uname -r\n"));
  EXPECT_EQ(c.result.run.status, RunStatus::kOk) << c.result.run.message << c.result.run.stderr_data;
  auto native = RunJob(*GetDocker(), MakeTestJob("bash-5.2", "main.sh", "uname -r\n"));
  EXPECT_EQ(native.result.run.status, RunStatus::kOk) << native.result.run.message;
  EXPECT_NE(c.result.run.stdout_data, native.result.run.stdout_data) << "the same kernel release as the host's: not gVisor";
}

TEST(DockerPlatform, GvisorRefusesAnEngineWithoutRunsc) {
  ASSERT_NE(GetDocker(), nullptr);  // the engine runs
  auto options = docker::GvisorOptions();
  options.oci_runtime = "no-such-runtime";
  auto p = DockerPlatform::Create(options, TestImages());
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("no-such-runtime"), std::string::npos) << p.error().message;
}

TEST(DockerPlatform, RefusesAMissingImageClearly) {
  auto* docker = GetDocker();
  ASSERT_NE(docker, nullptr);
  auto job = MakeTestJob("bash-5.2", "main.sh", "echo hi\n");
  job.image = "no-such-image";
  auto result = docker->Run(job, {}, -1);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("no-such-image"), std::string::npos) << result.error().message;
}

TEST(DockerPlatform, ReportsUnreachableEngine) {
  docker::DockerOptions options;
  options.socket = "/nonexistent/docker.sock";
  auto p = DockerPlatform::Create(options, TestImages());
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("/nonexistent/docker.sock"), std::string::npos) << p.error().message;
}

}  // namespace
}  // namespace runlet::platform::testing
