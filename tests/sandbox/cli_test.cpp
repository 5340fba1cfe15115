// The command line is two binaries: `runlet` (exec and doctor, linked with nothing but
// the sandbox) hands every other verb to `runlet-full` beside it; to the user it is one.
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>

#include "sandbox_test_support.h"

namespace runlet::sandbox::tests {
namespace {

namespace fs = std::filesystem;

struct Output {
  int exit_code = -1;
  std::string text;  // stdout and stderr
};

Output Shell(const std::string& command) {
  Output out;
  std::FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return out;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.text.append(buffer, n);
  const int status = ::pclose(pipe);
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

TEST(RunletCli, HelpListsEveryVerbAsOneCommand) {
  const Output help = Shell(std::string(RUNLET_BIN) + " --help");
  EXPECT_EQ(help.exit_code, 0) << help.text;
  for (const char* verb : {"exec", "run", "serve", "runtimes", "doctor", "image", "admin"}) {
    EXPECT_NE(help.text.find(verb), std::string::npos) << verb << " missing from:\n" << help.text;
  }
}

TEST(RunletCli, HandsOtherVerbsToRunletFullWithTheirArgumentsAndExitCode) {
  const Output bad = Shell(std::string(RUNLET_BIN) + " runtimes --no-such-flag");
  EXPECT_NE(bad.exit_code, 0) << bad.text;
  EXPECT_NE(bad.text.find("no-such-flag"), std::string::npos) << bad.text;
  const Output version = Shell(std::string(RUNLET_BIN) + " --version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.text.find("runlet 0.1.0"), std::string::npos) << version.text;
}

TEST(RunletCli, ExecNeedsNoRunletFullAndOtherVerbsSayWhereTheyAre) {
  TempDir dir;
  const std::string alone = dir.path() + "/runlet";
  fs::copy_file(RUNLET_BIN, alone);
  ::chmod(alone.c_str(), 0755);
  const Output exec = Shell(alone + " exec -- /bin/echo alone");
  EXPECT_EQ(exec.exit_code, 0) << exec.text;
  EXPECT_NE(exec.text.find("alone"), std::string::npos) << exec.text;
  const Output serve = Shell(alone + " serve --help");
  EXPECT_EQ(serve.exit_code, 125) << serve.text;
  EXPECT_NE(serve.text.find(dir.path() + "/runlet-full"), std::string::npos) << serve.text;
}

// A setup step that fails after the clone must be reported, not waited on. A real-time
// supervisor makes one fail here: on cgroup v1 a SCHED_FIFO task may not join a `cpu`
// group without RT runtime (EINVAL). Where the kernel lets it join, the run just works.
TEST(RunletExec, ReportsASetupFailureAfterTheCloneInsteadOfHanging) {
  const Output out = Shell(std::string("timeout 30 chrt -f 1 ") + RUNLET_BIN + " exec -- /bin/true");
  ASSERT_NE(out.exit_code, 124) << "runlet exec hung: " << out.text;
  if (out.exit_code != 0) {
    EXPECT_EQ(out.exit_code, 125) << out.text;
    EXPECT_NE(out.text.find("cgroup"), std::string::npos) << out.text;
  }
}

}  // namespace
}  // namespace runlet::sandbox::tests
