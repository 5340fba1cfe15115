// Shared pieces of the sandbox tests: a Sandbox of their own, the payload program, and
// looks at the host (cgroups, mounts, processes) to check what runs leave behind.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "sandbox/sandbox.h"

namespace runlet::sandbox::tests {

// The tests' sandboxes live apart from a real runlet's (which uses /run/runlet, the
// "runlet" cgroups and uids from 200000), so that a server or another suite running on
// the same host neither disturbs these checks nor is disturbed by them.
inline constexpr const char* kStateDir = "/run/runlet-sandbox-tests";
inline constexpr const char* kCgroupParent = "runlet-sandbox-tests";
inline constexpr uid_t kUidBase = 300000;
inline constexpr int kSlots = 16;

SandboxOptions TestOptions();

// A fixture whose box() is a Sandbox made with TestOptions().
class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override;
  Sandbox& box() { return *box_; }

 private:
  std::unique_ptr<Sandbox> box_;
};

// A spec that runs "./payload ARGS..." with the payload written into /work.
RunSpec PayloadSpec(std::vector<std::string> args);
// The payload binary's bytes.
const std::string& PayloadBytes();

// Runs `spec`, failing the test if the spec is refused.
RunResult RunOrFail(Sandbox& box, const RunSpec& spec, const OutputFn& on_output = {});
// One line for failure messages: status, message, exit, times, output.
std::string Describe(const RunResult& result);

// The per-sandbox cgroup directories ("<hierarchy>/<parent>/slot-N") that exist now.
std::vector<std::string> SlotCgroups(const std::string& parent);
// Host pids whose real uid is in [lo, hi).
std::vector<pid_t> ProcessesWithUids(uid_t lo, uid_t hi);
// The real uid of a host process, or -1 when it is gone.
long UidOf(pid_t pid);
// Mount points of this process's mount namespace (the host's).
std::multiset<std::string> MountPoints();
// Pids listed in "<memory hierarchy>/<parent>/<slot>/cgroup.procs".
std::vector<pid_t> CgroupPids(const std::string& parent, const std::string& slot);

// Polls `done` every 10 ms until it is true or `timeout` passes; returns its last value.
template <class Fn>
bool WaitFor(Fn done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    ::usleep(10000);
  }
}

// A temporary directory, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  // Writes `content` to the relative `name`, creating parents, with `mode`.
  void Write(const std::string& name, const std::string& content, mode_t mode = 0644) const;

 private:
  std::string path_;
};

}  // namespace runlet::sandbox::tests
