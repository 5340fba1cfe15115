// What a run reports it used: the run step's memory is its own, not what the build step
// left behind in the same sandbox (its files in the tmpfs, the compiler's page cache).
#include "accounts_test.h"

namespace runlet::testing {
namespace {

using Usage = AccountsTest;

TEST_F(Usage, TheRunStepsMemoryDoesNotCountWhatTheBuildLeftBehind) {
  const std::string admin = NewAdmin("root");
  // A build that leaves 48 MB of files in the sandbox's tmpfs; a run of a small shell.
  const std::string def = R"({"id": "leftovers", "language": "sh", "version": "1", "name": "Leftovers",
    "image": "host", "main_file": "main.sh",
    "build": "head -c 48000000 /dev/zero > /tmp/big && cp main.sh /tmp/main.sh",
    "run": ["sh", "/tmp/main.sh"],
    "limits": {"build": {"disk": "128M"}, "run": {"memory": "256M"}}})";
  auto added = Send("POST", "/api/v1/admin/runtimes", As(admin), def);
  ASSERT_EQ(added.status, 201) << added.body;
  auto r = Execute(json::object{{"runtime", "leftovers"},
                                {"files", json::array{json::object{{"name", "main.sh"}, {"content", "echo hi\n"}}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  const auto& result = r.Json().as_object();
  ASSERT_EQ(Str(result, "status"), "ok") << r.body;
  EXPECT_EQ(Str(result, "stdout"), "hi\n");
  const uint64_t run_peak = result.at("memory_peak_bytes").to_number<uint64_t>();
  const uint64_t build_peak = result.at("build").at("memory_peak_bytes").to_number<uint64_t>();
  EXPECT_GE(build_peak, 48000000u) << "the build's files count as the build's memory";
  EXPECT_LT(run_peak, 24u << 20) << "a shell's echo reported " << run_peak << " bytes";
}

}  // namespace
}  // namespace runlet::testing
