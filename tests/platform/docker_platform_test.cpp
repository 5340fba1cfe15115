// The Docker platform's own behaviour, against the real engine.
#include <gtest/gtest.h>

#include <boost/json.hpp>

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

std::string CreateLabelled(DockerPlatform& docker, const std::string& owner) {
  auto image = docker.EnsureImage("host");
  EXPECT_TRUE(image) << (image ? "" : image.error().message);
  if (!image) return "";
  json::object spec{{"Image", image->ref},
                    {"Cmd", json::array{"sleep", "600"}},
                    {"Labels", json::object{{"runlet.managed", "1"}, {"runlet.owner", owner}}},
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

TEST(DockerPlatform, AGvisorPlatformRunsOnRunsc) {
  auto* gvisor = GetGvisor();
  ASSERT_NE(gvisor, nullptr);
  // gVisor's kernel says who it is in its boot messages.
  auto c = RunJob(*gvisor, MakeTestJob("bash-5.2", "main.sh", "dmesg 2>&1 | head -n 1; uname -r\n"));
  EXPECT_EQ(c.result.run.status, RunStatus::kOk) << c.result.run.message << c.result.run.stderr_data;
  EXPECT_NE(c.result.run.stdout_data.find("gVisor"), std::string::npos) << c.result.run.stdout_data;
  auto native = RunJob(*GetDocker(), MakeTestJob("bash-5.2", "main.sh", "uname -r\n"));
  EXPECT_NE(c.result.run.stdout_data.substr(c.result.run.stdout_data.find('\n') + 1), native.result.run.stdout_data)
      << "the same kernel release as the host's: not gVisor";
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
