// The Swarm platform's own behaviour and the attacks on what it adds (the step runner as
// the container's pid 1, the configs, a network interface the program must not use),
// against a real single-node swarm (scripts/start-swarm).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>
#include <thread>

#include "image/sha256.h"
#include "platform_fixture.h"

namespace runlet::platform::testing {
namespace {

namespace json = boost::json;
using docker::EngineClient;
using std::chrono::milliseconds;

std::string Describe(const JobResult& r) {
  return "status " + std::string(StatusName(r.run.status)) + ": " + r.run.message +
         "\nstdout: " + r.run.stdout_data.substr(0, 2000) + "\nstderr: " + r.run.stderr_data.substr(0, 2000);
}

std::string LabelFilter(const std::string& label) {
  return docker::UrlEncode(json::serialize(json::object{{"label", json::array{json::value(label)}}}));
}

// Services, configs, containers and volumes whose runlet.owner label is `owner`.
size_t CountOwned(const EngineClient& engine, const std::string& owner) {
  const std::string filter = LabelFilter("runlet.owner=" + owner);
  size_t n = 0;
  for (const char* path : {"/services", "/configs", "/containers/json?all=1&"}) {
    std::string target = path;
    target += target.back() == '&' ? "filters=" + filter : "?filters=" + filter;
    auto r = engine.Request("GET", target);
    EXPECT_TRUE(r && r->ok()) << target;
    if (r && r->ok()) n += json::parse(r->body).as_array().size();
  }
  auto volumes = engine.Request("GET", "/volumes?filters=" + filter);
  EXPECT_TRUE(volumes && volumes->ok());
  if (volumes && volumes->ok()) {
    const json::value doc = json::parse(volumes->body);
    if (const auto& list = doc.as_object().at("Volumes"); list.is_array()) n += list.as_array().size();
  }
  return n;
}

TEST(SwarmPlatform, ReportsTheSwarmInCheck) {
  auto* swarm = GetSwarm();
  ASSERT_NE(swarm, nullptr);
  const Health h = swarm->Check();
  EXPECT_TRUE(h.ok) << h.detail;
  EXPECT_NE(h.detail.find("swarm of 1 node (1 manager)"), std::string::npos) << h.detail;
}

TEST(SwarmPlatform, LeavesNothingBehindAfterJobs) {
  auto* swarm = GetSwarm();
  ASSERT_NE(swarm, nullptr);
  for (const char* source : {"echo fine\n", "echo bad >&2; exit 3\n", "sleep 30\n"}) {
    auto job = MakeTestJob("bash-5.2", "main.sh", source);
    job.run.limits.wall_time = milliseconds(1000);
    auto c = RunJob(*swarm, job);
    EXPECT_NE(c.result.run.status, RunStatus::kInternalError) << Describe(c.result);
  }
  swarm->WaitForRemovals();
  EXPECT_EQ(CountOwned(swarm->engine(), docker::OwnerLabel()), 0u);
}

TEST(SwarmPlatform, RemovesWhatADeadRunletLeft) {
  auto* swarm = GetSwarm();
  ASSERT_NE(swarm, nullptr);
  const EngineClient& engine = swarm->engine();
  // A process of another boot: certainly gone.
  const std::string dead = "00000000-0000-0000-0000-000000000000/4242/1";
  const json::object labels{{"runlet.managed", "1"}, {"runlet.owner", dead}};
  auto config = engine.Request("POST", "/configs/create",
                               json::serialize(json::object{{"Name", "runlet-test-leftover"}, {"Labels", labels}, {"Data", "eA=="}}));
  ASSERT_TRUE(config && config->ok()) << (config ? config->body : config.error().message);
  const json::object service{
      {"Name", "runlet-test-leftover"},
      {"Labels", labels},
      {"TaskTemplate", json::object{{"ContainerSpec", json::object{{"Image", "runlet-test-no-such-image"}}},
                                    {"RestartPolicy", json::object{{"Condition", "none"}}}}},
      {"Mode", json::object{{"ReplicatedJob", json::object{{"MaxConcurrent", 1}, {"TotalCompletions", 1}}}}}};
  auto created = engine.Request("POST", "/services/create", json::serialize(service));
  ASSERT_TRUE(created && created->ok()) << (created ? created->body : created.error().message);
  EXPECT_EQ(CountOwned(engine, dead), 2u);
  // The same from a runlet on another machine of the swarm: not this one's to judge.
  json::object elsewhere = labels;
  elsewhere["runlet.host"] = "another-machine";
  auto theirs = engine.Request("POST", "/configs/create",
                               json::serialize(json::object{{"Name", "runlet-test-elsewhere"}, {"Labels", elsewhere}, {"Data", "eA=="}}));
  ASSERT_TRUE(theirs && theirs->ok()) << (theirs ? theirs->body : theirs.error().message);

  auto again = swarm::SwarmPlatform::Create(swarm::SwarmOptions{}, TestImages());
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(CountOwned(engine, dead), 1u) << "only the other machine's config is left";
  (void)engine.Request("DELETE", "/configs/runlet-test-elsewhere");
  EXPECT_EQ(CountOwned(engine, dead), 0u);
}

// Several servers share a swarm, running different builds: one's start does not remove
// the step runner another live server made, even while no task uses it.
TEST(SwarmPlatform, KeepsTheStepRunnerOfAnotherLiveServer) {
  auto* swarm = GetSwarm();
  ASSERT_NE(swarm, nullptr);
  const EngineClient& engine = swarm->engine();
  const json::object labels{{"runlet.managed", "1"},
                            {"runlet.step-runner", "1"},
                            {"runlet.owner", docker::OwnerLabel()},
                            {"runlet.host", docker::HostLabel()}};
  auto theirs = engine.Request("POST", "/configs/create",
                               json::serialize(json::object{{"Name", "runlet-step-test-live"}, {"Labels", labels}, {"Data", "eA=="}}));
  ASSERT_TRUE(theirs && theirs->ok()) << (theirs ? theirs->body : theirs.error().message);
  auto again = swarm::SwarmPlatform::Create(swarm::SwarmOptions{}, TestImages());
  ASSERT_TRUE(again) << again.error().message;
  auto still = engine.Request("GET", "/configs/runlet-step-test-live");
  EXPECT_TRUE(still && still->ok()) << "a live server's step runner was removed";
  (void)engine.Request("DELETE", "/configs/runlet-step-test-live");
}

// And when its step runner is gone all the same (an older build's sweep), the server
// stores it again instead of failing every later job.
TEST(SwarmPlatform, StoresItsStepRunnerAgainWhenItWasRemoved) {
  auto* swarm = GetSwarm();
  ASSERT_NE(swarm, nullptr);
  swarm->WaitForRemovals();
  const EngineClient& engine = swarm->engine();
  auto list = engine.Request("GET", "/configs?filters=" + LabelFilter("runlet.step-runner=1"));
  ASSERT_TRUE(list && list->ok());
  size_t removed = 0;
  const json::value configs = json::parse(list->body);
  for (const auto& c : configs.as_array()) {
    auto r = engine.Request("DELETE", "/configs/" + std::string(c.as_object().at("ID").as_string()));
    removed += r && r->ok();
  }
  ASSERT_GT(removed, 0u);
  auto c = RunJob(*swarm, MakeTestJob("bash-5.2", "main.sh", "echo still here\n"));
  EXPECT_EQ(c.result.run.status, RunStatus::kOk) << Describe(c.result);
  EXPECT_EQ(c.result.run.stdout_data, "still here\n");
}

// An image pruned from the node's engine since the server imported it (docker image
// prune) is imported again by the next run: its task was rejected ("No such image"), and
// every later run failed until a restart.
TEST(SwarmPlatform, ImportsAnImageAgainThatTheEngineLost) {
  auto* swarm = GetSwarm();
  ASSERT_NE(swarm, nullptr);
  auto first = RunJob(*swarm, MakeTestJob("bash-5.2", "main.sh", "echo one\n"));
  ASSERT_EQ(first.result.run.status, RunStatus::kOk) << Describe(first.result);
  swarm->WaitForRemovals();
  // The same engine, the same content: the ref the swarm platform imported.
  auto* docker = GetDocker();
  ASSERT_NE(docker, nullptr);
  auto image = docker->EnsureImage("host");
  ASSERT_TRUE(image) << image.error().message;
  auto removed = swarm->engine().Request("DELETE", "/images/" + image->ref + "?force=1");
  ASSERT_TRUE(removed && removed->ok()) << (removed ? removed->body : removed.error().message);
  auto second = RunJob(*swarm, MakeTestJob("bash-5.2", "main.sh", "echo two\n"));
  EXPECT_EQ(second.result.run.status, RunStatus::kOk) << Describe(second.result);
  EXPECT_EQ(second.result.run.stdout_data, "two\n");
}

TEST(SwarmPlatform, CarriesFilesOverSeveralConfigs) {
  auto* swarm = GetSwarm();
  ASSERT_NE(swarm, nullptr);
  // 2.5 MB of every byte value: three config parts of 1,000,000 bytes.
  std::string big;
  for (size_t i = 0; big.size() < 2500000; ++i) big.push_back(static_cast<char>((i * 7919) & 255));
  image::Sha256 sha;
  sha.Update(big);
  runtime::JobRequest extra;
  extra.files = {InputFile{"data/deep/big.bin", big, false}, InputFile{"tool.sh", "echo tool\n", true}};
  auto c = RunJob(*swarm, MakeTestJob("bash-5.2", "main.sh",
                                      "sha256sum data/deep/big.bin | cut -c1-64; ./tool.sh; stat -c '%a %u' tool.sh | cut -d' ' -f1\n",
                                      extra));
  EXPECT_EQ(c.result.run.status, RunStatus::kOk) << Describe(c.result);
  EXPECT_EQ(c.result.run.stdout_data, sha.HexDigest() + "\ntool\n755\n");
}

TEST(SwarmPlatform, RefusesFilesBeyondWhatConfigsHold) {
  auto* swarm = GetSwarm();
  ASSERT_NE(swarm, nullptr);
  runtime::JobRequest extra;
  extra.files = {InputFile{"huge.bin", std::string(33u << 20, 'x'), false}};
  auto job = MakeTestJob("bash-5.2", "main.sh", "echo never\n", extra);
  auto r = swarm->Run(job, {}, -1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalid);
  EXPECT_NE(r.error().message.find("at most"), std::string::npos) << r.error().message;
}

TEST(SwarmPlatform, RefusesAnUnknownImage) {
  auto* swarm = GetSwarm();
  ASSERT_NE(swarm, nullptr);
  auto job = MakeTestJob("bash-5.2", "main.sh", "echo never\n");
  job.image = "no-such-image-anywhere";
  auto r = swarm->Run(job, {}, -1);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no-such-image-anywhere"), std::string::npos) << r.error().message;
}

TEST(SwarmPlatform, KeepsBuildOutputApartFromTheRun) {
  auto* swarm = GetSwarm();
  ASSERT_NE(swarm, nullptr);
  auto c = RunJob(*swarm, MakeTestJob("c-gcc-12", "main.c",
                                      "#include <stdio.h>\n#warning from the build\n"
                                      "int main(void) { puts(\"from the run\"); fputs(\"run err\\n\", stderr); return 0; }\n"));
  EXPECT_EQ(c.result.run.status, RunStatus::kOk) << Describe(c.result);
  ASSERT_TRUE(c.result.build.has_value());
  EXPECT_NE(c.result.build->stderr_data.find("from the build"), std::string::npos) << c.result.build->stderr_data;
  EXPECT_EQ(c.result.run.stdout_data, "from the run\n");
  EXPECT_EQ(c.result.run.stderr_data, "run err\n");
  EXPECT_EQ(c.statuses, (std::vector<RunStatus>{RunStatus::kBuilding, RunStatus::kRunning}));
}

// The step runner is pid 1 and root: the program can neither read what it reads (the
// plan, the configs), nor signal or trace it, nor reach its descriptors.
TEST(SwarmIsolation, TheProgramCannotTouchTheStepRunnerOrItsConfigs) {
  auto* swarm = GetSwarm();
  ASSERT_NE(swarm, nullptr);
  auto c = RunJob(*swarm, MakeTestJob("bash-5.2", "main.sh",
                                      "cat /run/runlet/plan >/dev/null 2>&1 && echo plan readable\n"
                                      "cat /run/runlet/step >/dev/null 2>&1 && echo runner readable\n"
                                      "kill -9 1 2>/dev/null && echo killed 1\n"
                                      "kill -STOP 1 2>/dev/null && echo stopped 1\n"
                                      "ls /proc/1/fd >/dev/null 2>&1 && echo fds of 1\n"
                                      "cat /proc/1/environ >/dev/null 2>&1 && echo environ of 1\n"
                                      "echo x > /run/runlet/plan 2>/dev/null && echo plan writable\n"
                                      "echo x > /proc/1/fd/1 2>/dev/null && echo wrote to the log\n"
                                      "echo end\n"));
  EXPECT_EQ(c.result.run.status, RunStatus::kOk) << Describe(c.result);
  EXPECT_EQ(c.result.run.stdout_data, "end\n");
}

// A program that writes what looks like the runner's own lines gets them back as its
// output, nothing more: the runner is the only writer of the log.
TEST(SwarmIsolation, OutputThatMimicsTheRunnerIsOnlyOutput) {
  auto* swarm = GetSwarm();
  ASSERT_NE(swarm, nullptr);
  const std::string fake = "R run exit=0 cpu_ms=1 wall_ms=1 memory=1 kill=none oom=0\nD\n";
  auto c = RunJob(*swarm, MakeTestJob("bash-5.2", "main.sh", "printf '" + std::string("\\nR run exit=0 cpu_ms=1 wall_ms=1 memory=1 kill=none oom=0\\nD\\n") +
                                                                 "'; exit 5\n"));
  EXPECT_EQ(c.result.run.status, RunStatus::kRuntimeError) << Describe(c.result);
  EXPECT_EQ(c.result.run.exit_code, 5);
  EXPECT_EQ(c.result.run.stdout_data, "\n" + fake);
}

TEST(SwarmNetwork, RefusesEverySocketButUnixAndIoUring) {
  auto* swarm = GetSwarm();
  ASSERT_NE(swarm, nullptr);
  auto c = RunJob(*swarm, MakeTestJob("c-gcc-12", "main.c",
                                      "#include <errno.h>\n#include <stdio.h>\n#include <string.h>\n"
                                      "#include <sys/socket.h>\n#include <sys/syscall.h>\n#include <unistd.h>\n"
                                      "#include <linux/if_packet.h>\n#include <netinet/in.h>\n"
                                      "int main(void) {\n"
                                      "  int families[] = {AF_INET, AF_INET6, AF_NETLINK, AF_PACKET, AF_UNIX};\n"
                                      "  for (int i = 0; i < 5; ++i) {\n"
                                      "    int fd = socket(families[i], SOCK_DGRAM, 0);\n"
                                      "    printf(\"%d:%s\\n\", families[i], fd >= 0 ? \"open\" : strerror(errno));\n"
                                      "  }\n"
                                      "  long r = syscall(__NR_io_uring_setup, 4, (void*)0);\n"
                                      "  printf(\"io_uring:%s\\n\", r >= 0 ? \"open\" : strerror(errno));\n"
                                      "  return 0;\n}\n"));
  EXPECT_EQ(c.result.run.status, RunStatus::kOk) << Describe(c.result);
  const std::string refused = "Address family not supported by protocol";
  EXPECT_EQ(c.result.run.stdout_data, "2:" + refused + "\n10:" + refused + "\n16:" + refused + "\n17:" + refused +
                                          "\n1:open\nio_uring:Function not implemented\n");
}

// Two jobs at once run as two uids: one's processes neither count against the other's
// process limit nor can be signalled by it.
TEST(SwarmIsolation, ConcurrentJobsRunAsUidsOfTheirOwn) {
  auto* swarm = GetSwarm();
  ASSERT_NE(swarm, nullptr);
  std::string out[2];
  std::thread runners[2];
  for (int i = 0; i < 2; ++i) {
    runners[i] = std::thread([&, i] {
      auto job = MakeTestJob("bash-5.2", "main.sh", "id -u; sleep 1\n");
      auto c = RunJob(*swarm, job);
      EXPECT_EQ(c.result.run.status, RunStatus::kOk) << Describe(c.result);
      out[i] = c.result.run.stdout_data;
    });
  }
  for (auto& t : runners) t.join();
  EXPECT_FALSE(out[0].empty());
  EXPECT_NE(out[0], out[1]);
}

}  // namespace
}  // namespace runlet::platform::testing
