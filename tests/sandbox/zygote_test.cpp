// Sandboxes cloned by the zygote (sandbox/zygote.h), as `runlet serve` makes them: a small
// static process clones each init, which is nonetheless the supervisor's child, a small
// process itself, and alone with its own pipes; when the zygote is gone, runs go on.
#include <dirent.h>
#include <signal.h>

#include <fstream>
#include <future>
#include <sstream>

#include "sandbox_test_support.h"

namespace runlet::sandbox::tests {
namespace {

using std::chrono::milliseconds;

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// "Name:" and "PPid:" of /proc/<pid>/status.
std::string StatusField(pid_t pid, const std::string& field) {
  std::istringstream in(ReadText("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":\t", 0) == 0) return line.substr(field.size() + 2);
  }
  return "";
}

// This process's children named `name`.
std::vector<pid_t> Children(const std::string& name) {
  std::vector<pid_t> out;
  DIR* dir = ::opendir("/proc");
  while (auto* e = dir ? ::readdir(dir) : nullptr) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    if (StatusField(pid, "PPid") == std::to_string(::getpid()) && StatusField(pid, "Name") == name) out.push_back(pid);
  }
  if (dir) ::closedir(dir);
  return out;
}

size_t MapCount(pid_t pid) {
  std::istringstream in(ReadText("/proc/" + std::to_string(pid) + "/maps"));
  size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

std::vector<std::string> OpenFds(pid_t pid) {
  std::vector<std::string> out;
  DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  while (auto* e = dir ? ::readdir(dir) : nullptr) {
    if (e->d_name[0] != '.') out.push_back(e->d_name);
  }
  if (dir) ::closedir(dir);
  std::sort(out.begin(), out.end());
  return out;
}

RunSpec Sleeper() {
  RunSpec spec = PayloadSpec({"sleep", "1500"});
  spec.limits.wall_time = milliseconds(10000);
  return spec;
}

// Waits until this process has a child named runlet-init, i.e. a run has started.
pid_t WaitForInit() {
  pid_t init = -1;
  WaitFor(
      [&] {
        auto inits = Children("runlet-init");
        if (!inits.empty()) init = inits.front();
        return init > 0;
      },
      milliseconds(5000));
  return init;
}

TEST(SandboxZygote, InitIsTheSupervisorsChildAndMuchSmallerThanIt) {
  auto box = Sandbox::Create(TestOptions());
  ASSERT_TRUE(box) << box.error().message;
  ASSERT_EQ(Children("runlet-zygote").size(), 1u) << "no zygote started";
  auto run = std::async(std::launch::async, [&] { return RunOrFail(**box, Sleeper()); });
  const pid_t init = WaitForInit();
  ASSERT_GT(init, 0) << "no runlet-init child of this process";
  // Init is a copy of the zygote (here the sanitizer build of runlet-zygote), not of this
  // process: a copy of this process would have its memory map, which each sandbox would
  // copy and tear down (the cost the zygote removes).
  auto zygotes = Children("runlet-zygote");
  ASSERT_EQ(zygotes.size(), 1u);
  const size_t ours = MapCount(::getpid()), inits = MapCount(init), zygote = MapCount(zygotes.front());
  EXPECT_LT(inits + 50, ours) << "init has " << inits << " mappings, this process " << ours;
  EXPECT_LE(inits, zygote + 4) << "init has " << inits << " mappings, the zygote " << zygote;
  const RunResult r = run.get();
  EXPECT_EQ(r.status, RunStatus::kOk) << Describe(r);
}

// The zygote is a copy of nothing secret and holds no other sandbox's pipes: between
// requests it has stdio and its socket only.
TEST(SandboxZygote, HoldsOnlyItsSocketBetweenRequests) {
  auto box = Sandbox::Create(TestOptions());
  ASSERT_TRUE(box) << box.error().message;
  const RunResult r = RunOrFail(**box, PayloadSpec({"args", "x"}));
  ASSERT_EQ(r.status, RunStatus::kOk) << Describe(r);
  auto zygotes = Children("runlet-zygote");
  ASSERT_EQ(zygotes.size(), 1u);
  auto fds = OpenFds(zygotes.front());
  std::erase_if(fds, [](const std::string& fd) { return fd == "0" || fd == "1" || fd == "2"; });
  EXPECT_EQ(fds, std::vector<std::string>{"3"});
  char link[256] = {};
  ASSERT_GT(::readlink(("/proc/" + std::to_string(zygotes.front()) + "/fd/3").c_str(), link, sizeof link - 1), 0);
  EXPECT_EQ(std::string(link).rfind("socket:", 0), 0u) << link;
}

TEST(SandboxZygote, RunsGoOnWhenTheZygoteIsKilled) {
  auto box = Sandbox::Create(TestOptions());
  ASSERT_TRUE(box) << box.error().message;
  auto zygotes = Children("runlet-zygote");
  ASSERT_EQ(zygotes.size(), 1u);
  ASSERT_EQ(::kill(zygotes.front(), SIGKILL), 0);
  for (int i = 0; i < 2; ++i) {
    const RunResult r = RunOrFail(**box, PayloadSpec({"args", "after"}));
    EXPECT_EQ(r.status, RunStatus::kOk) << Describe(r);
    EXPECT_NE(r.stdout_data.find("after"), std::string::npos) << Describe(r);
  }
}

// Where runlet-zygote cannot be executed, the zygote stays a copy of the supervisor (still
// forked before the supervisor grows), and init still hides the supervisor's command line.
TEST(SandboxZygote, AZygoteThatCouldNotExecuteItsProgramStillClonesSandboxes) {
  SandboxOptions options = TestOptions();
  options.zygote_program = "/nonexistent/runlet-zygote";
  auto box = Sandbox::Create(options);
  ASSERT_TRUE(box) << box.error().message;
  ASSERT_EQ(Children("runlet-zygote").size(), 1u);
  RunSpec spec;
  spec.argv = {"/bin/sh", "-c", "tr '\\0' '|' < /proc/1/cmdline; echo"};
  const RunResult r = RunOrFail(**box, spec);
  ASSERT_EQ(r.status, RunStatus::kOk) << Describe(r);
  EXPECT_EQ(r.stdout_data.rfind("runlet-init|", 0), 0u) << r.stdout_data;
  EXPECT_EQ(r.stdout_data.find("runlet_sandbox_tests"), std::string::npos) << r.stdout_data;
}

TEST(SandboxZygote, WithoutAZygoteTheSupervisorClonesItself) {
  SandboxOptions options = TestOptions();
  options.zygote = false;
  auto box = Sandbox::Create(options);
  ASSERT_TRUE(box) << box.error().message;
  EXPECT_TRUE(Children("runlet-zygote").empty());
  const RunResult r = RunOrFail(**box, PayloadSpec({"args", "direct"}));
  EXPECT_EQ(r.status, RunStatus::kOk) << Describe(r);
}

}  // namespace
}  // namespace runlet::sandbox::tests
