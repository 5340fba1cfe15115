// Specs that make no sense are refused before anything is created, with a message that
// says what is wrong.
#include "sandbox_test_support.h"

namespace runlet::sandbox::tests {
namespace {

using std::chrono::milliseconds;
using namespace std::string_literals;

using SandboxSpec = SandboxTest;

// Expects `spec` to be refused with a message containing `words`, and no cgroup made.
void ExpectRefused(Sandbox& box, const RunSpec& spec, std::initializer_list<const char*> words) {
  auto r = box.Run(spec);
  ASSERT_FALSE(r.has_value()) << "accepted: " << Describe(*r);
  for (const char* word : words) {
    EXPECT_NE(r.error().message.find(word), std::string::npos) << word << " missing from: " << r.error().message;
  }
  EXPECT_EQ(SlotCgroups(kCgroupParent), std::vector<std::string>{});
}

TEST_F(SandboxSpec, RefusesAnEmptyCommand) {
  RunSpec spec;
  ExpectRefused(box(), spec, {"command"});
  spec.argv = {""};
  ExpectRefused(box(), spec, {"command"});
  spec.argv = {"", "arg"};
  ExpectRefused(box(), spec, {"command"});
}

TEST_F(SandboxSpec, RefusesNulInArguments) {
  RunSpec spec = PayloadSpec({"args", "ok", "bad\0arg"s});
  ExpectRefused(box(), spec, {"NUL"});
  spec.argv = {"./pay\0load"s};
  ExpectRefused(box(), spec, {"NUL"});
}

TEST_F(SandboxSpec, RefusesEnvironmentEntriesThatAreNotKeyEqualsValue) {
  RunSpec spec = PayloadSpec({"env"});
  spec.env = {"NO_EQUALS"};
  ExpectRefused(box(), spec, {"NO_EQUALS", "KEY=VALUE"});
  spec.env = {"=value"};
  ExpectRefused(box(), spec, {"KEY=VALUE"});
  spec.env = {"KEY=a\0b"s};
  ExpectRefused(box(), spec, {"NUL"});
  spec.env = {""};
  ExpectRefused(box(), spec, {"KEY=VALUE"});
}

TEST_F(SandboxSpec, RefusesLimitsOutOfRangeNamingTheLimit) {
  RunSpec spec = PayloadSpec({"sleep", "1"});
  spec.limits.cpu_time = milliseconds(0);
  ExpectRefused(box(), spec, {"cpu time"});
  spec = PayloadSpec({"sleep", "1"});
  spec.limits.wall_time = std::chrono::hours(100);
  ExpectRefused(box(), spec, {"wall time"});
  spec = PayloadSpec({"sleep", "1"});
  spec.limits.memory_bytes = 1024;
  ExpectRefused(box(), spec, {"memory"});
  spec = PayloadSpec({"sleep", "1"});
  spec.limits.pids = 0;
  ExpectRefused(box(), spec, {"pids"});
  spec = PayloadSpec({"sleep", "1"});
  spec.limits.cpus = 0;
  ExpectRefused(box(), spec, {"cpus"});
  spec = PayloadSpec({"sleep", "1"});
  spec.limits.network = true;
  ExpectRefused(box(), spec, {"network"});
}

TEST_F(SandboxSpec, RefusesAMissingFilesDir) {
  RunSpec spec;
  spec.argv = {"/bin/true"};
  spec.files_dir = "/nonexistent/runlet-files";
  ExpectRefused(box(), spec, {"/nonexistent/runlet-files", "not a directory"});
  TempDir dir;
  dir.Write("plain-file", "x");
  spec.files_dir = dir.path() + "/plain-file";
  ExpectRefused(box(), spec, {"plain-file"});
}

TEST_F(SandboxSpec, RefusesAMissingRootfs) {
  RunSpec spec;
  spec.argv = {"/bin/true"};
  spec.rootfs = "/nonexistent/rootfs";
  ExpectRefused(box(), spec, {"/nonexistent/rootfs"});
}

TEST_F(SandboxSpec, RefusesBadFilePathsNamingThePath) {
  for (const std::string& path : {"../escape"s, "/etc/cron.d/evil"s, "a//b"s, ""s, "a/../../b"s,
                                  "./x"s, "dir/"s, "nul\0byte"s, std::string(300, 'n')}) {
    SCOPED_TRACE(testing::PrintToString(path));
    RunSpec spec = PayloadSpec({"tree"});
    spec.files.push_back(InputFile{path, "content", false});
    auto r = box().Run(spec);
    ASSERT_FALSE(r.has_value()) << "accepted: " << Describe(*r);
    EXPECT_NE(r.error().message.find("file"), std::string::npos) << r.error().message;
  }
  EXPECT_EQ(SlotCgroups(kCgroupParent), std::vector<std::string>{});
}

}  // namespace
}  // namespace runlet::sandbox::tests
