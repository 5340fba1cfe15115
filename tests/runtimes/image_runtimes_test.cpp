// End-to-end tests of the runtimes whose toolchain comes from a Debian-built image
// (python-3.9 and go-1.15, from Debian 11), side by side with the host's newer versions
// (python-3.11, go-1.19), through the real runlet binary.
//
// The images are made by the CTest fixture `runlet_test_images` (tests/runtimes/
// CMakeLists.txt): `runlet image build --for ID --reuse` into RUNLET_TEST_IMAGES, a
// directory outside the repository that survives between runs like ccache's, so the
// minutes of debootstrap are spent once and again only when a runtime's image_recipe
// changes. Each test process gets a fresh data directory whose images/ is that store.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "image/image_store.h"
#include "runtime/catalog.h"

namespace runlet::runtime::testing {
namespace {

namespace json = boost::json;

const std::string kProjects = RUNLET_PROJECTS_DIR;
const std::string kImageStore = RUNLET_TEST_IMAGES;  // a data directory holding images/

// The image runtimes, the host runtime of the same language, and the versions each
// toolchain must report: the exact one (`runlet runtimes`) and the program's own.
struct Pair {
  std::string old_id, new_id;
  std::string old_version, new_version;  // patterns for `runlet runtimes`' version
  std::string old_self, new_self;        // patterns for the `version` project's first line
};
const std::vector<Pair> kPairs = {
    {"python-3.9", "python-3.11", R"(^3\.9\.\d+$)", R"(^3\.11\.\d+$)", R"(^3\.9\.\d+$)", R"(^3\.11\.\d+$)"},
    {"go-1.15", "go-1.19", R"(^1\.15\.\d+$)", R"(^1\.19\.\d+$)", R"(^go1\.15\.\d+$)", R"(^go1\.19\.\d+$)"},
};

const std::string& DataDir() { return DataDirOverImages(kImageStore); }

std::vector<std::string> BaseArgs(const std::string& verb) { return CliArgs(verb, DataDir()); }

RunOutcome RunProject(const std::string& runtime, const std::string& project_case,
                      const std::vector<std::string>& flags = {}, const std::vector<std::string>& args = {}) {
  return RunProjectIn(DataDir(), runtime, project_case, flags, args);
}

bool IsGo(const std::string& runtime) { return runtime.rfind("go-", 0) == 0; }

void ExpectOk(const std::string& runtime, const RunOutcome& out, const std::string& expected_stdout) {
  EXPECT_EQ(out.cli.exit_code, 0) << out.Describe();
  EXPECT_EQ(out.Str("status"), "ok") << out.Describe();
  EXPECT_EQ(out.Str("stdout"), expected_stdout) << out.Describe();
  if (IsGo(runtime)) {
    ASSERT_NE(out.Build(), nullptr) << out.Describe();
    EXPECT_EQ(out.Build()->at("status"), "ok") << out.Describe();
  }
}

std::string ParamName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

// The stored image a runtime runs on, read through the image store itself.
image::ImageInfo ImageOf(const std::string& runtime_id) {
  auto catalog = Catalog::LoadDir(RUNLET_RUNTIMES_DIR);
  EXPECT_TRUE(catalog) << (catalog ? "" : catalog.error().message);
  if (!catalog || !catalog->Find(runtime_id)) return {};
  image::ImageStore store(kImageStore);
  auto info = store.Resolve(catalog->Find(runtime_id)->image);
  EXPECT_TRUE(info) << (info ? "" : info.error().message);
  return info ? *info : image::ImageInfo{};
}

// sha256sum of a file, on the host.
std::string Sha256Of(const std::string& path) {
  const CliOutput out = RunCli({"/usr/bin/sha256sum", path});
  EXPECT_EQ(out.exit_code, 0) << out.stderr_data;
  return out.stdout_data.substr(0, out.stdout_data.find(' '));
}

class ImageRuntime : public ::testing::TestWithParam<std::string> {};

TEST_P(ImageRuntime, PrintsHelloWorld) { ExpectOk(GetParam(), RunProject(GetParam(), "hello"), "hello, world\n"); }

TEST_P(ImageRuntime, RunsAProjectOfSeveralFilesAndFolders) {
  ExpectOk(GetParam(), RunProject(GetParam(), "multi"), "add(3, 4) = 7\ngreet: hello, runlet\n");
}

TEST_P(ImageRuntime, EchoesStdinBackUpperCased) {
  TempDir dir;
  const std::string input = dir.Write("stdin.txt", "hello\nRunlet stdin\n");
  ExpectOk(GetParam(), RunProject(GetParam(), "stdin", {"--stdin", input}), "HELLO\nRUNLET STDIN\n");
}

TEST_P(ImageRuntime, PassesTheArgumentsAfterTheDoubleDashIntact) {
  ExpectOk(GetParam(), RunProject(GetParam(), "args", {}, {"one", "two words", "--flag", "*"}),
           "one\ntwo words\n--flag\n*\n");
}

TEST_P(ImageRuntime, ReportsExitCodeThreeAsRuntimeError) {
  const RunOutcome out = RunProject(GetParam(), "runtime_error");
  EXPECT_EQ(out.Str("status"), "runtime_error") << out.Describe();
  ASSERT_TRUE(out.result.contains("exit_code") && out.result.at("exit_code").is_int64()) << out.Describe();
  EXPECT_EQ(out.result.at("exit_code").as_int64(), 3) << out.Describe();
  EXPECT_NE(out.Str("stderr").find("about to fail"), std::string::npos) << out.Describe();
}

TEST_P(ImageRuntime, StopsAnInfiniteLoopAtTheCpuTimeLimit) {
  const RunOutcome out = RunProject(GetParam(), "time_limit", {"--time", "1s", "--wall", "10s"});
  EXPECT_EQ(out.Str("status"), "time_limit") << out.Describe();
}

TEST_P(ImageRuntime, EndsAProgramThatAllocatesAGigabyteAsMemoryLimit) {
  const RunOutcome out = RunProject(GetParam(), "memory_limit", {"--memory", "128M", "--time", "10s", "--wall", "20s"});
  EXPECT_EQ(out.Str("status"), "memory_limit") << out.Describe();
  EXPECT_EQ(out.Str("stdout").find("allocated"), std::string::npos) << out.Describe();
  EXPECT_FALSE(out.Str("message").empty()) << out.Describe();
}

INSTANTIATE_TEST_SUITE_P(Bullseye, ImageRuntime, ::testing::Values("python-3.9", "go-1.15"), ParamName);

TEST(ImageRuntimeGo115, ReportsACompilerErrorAsCompileErrorWithoutRunningTheProgram) {
  const RunOutcome out = RunProject("go-1.15", "compile_error");
  EXPECT_EQ(out.Str("status"), "compile_error") << out.Describe();
  EXPECT_EQ(out.Str("stdout"), "") << out.Describe();
  const json::object* build = out.Build();
  ASSERT_NE(build, nullptr) << out.Describe();
  ASSERT_TRUE(build->at("stderr").is_string()) << out.Describe();
  EXPECT_NE(std::string(build->at("stderr").as_string()).find("undefined: undefinedThing"), std::string::npos)
      << out.Describe();
}

// Go 1.15 has no io.ReadAll (Go 1.16): the host's stdin project does not build there,
// which shows the build really ran on the old toolchain.
TEST(ImageRuntimeGo115, RefusesAnApiOfALaterGoAsCompileError) {
  auto argv = BaseArgs("run");
  argv.insert(argv.end(), {"--runtime", "go-1.15", "--json", kProjects + "/go-1.19/stdin"});
  const CliOutput cli = RunCli(argv);
  EXPECT_NE(cli.stdout_data.find("\"status\":\"compile_error\""), std::string::npos) << cli.stdout_data;
  EXPECT_NE(cli.stdout_data.find("ReadAll"), std::string::npos) << cli.stdout_data;
}

// `runlet runtimes --json`, by id.
std::map<std::string, json::object> ListRuntimes() {
  auto argv = BaseArgs("runtimes");
  argv.push_back("--json");
  const CliOutput cli = RunCli(argv);
  EXPECT_EQ(cli.exit_code, 0) << cli.stderr_data;
  boost::system::error_code ec;
  const json::value doc = json::parse(cli.stdout_data, ec);
  std::map<std::string, json::object> by_id;
  if (ec || !doc.is_array()) {
    ADD_FAILURE() << "not a JSON list: " << cli.stdout_data << cli.stderr_data;
    return by_id;
  }
  for (const auto& item : doc.as_array()) by_id[std::string(item.at("id").as_string())] = item.as_object();
  return by_id;
}

TEST(SideBySide, ListsOldAndNewVersionsAsAvailableWithTheExactVersionEachToolchainReports) {
  const auto listed = ListRuntimes();
  for (const auto& pair : kPairs) {
    for (const auto& [id, pattern] : {std::pair{pair.old_id, pair.old_version}, {pair.new_id, pair.new_version}}) {
      ASSERT_TRUE(listed.count(id)) << id;
      const json::object& o = listed.at(id);
      EXPECT_EQ(o.at("available"), true) << json::serialize(o);
      const std::string version(o.at("version").as_string());
      EXPECT_TRUE(std::regex_search(version, std::regex(pattern))) << id << " reports \"" << version << "\"";
    }
    EXPECT_EQ(listed.at(pair.old_id).at("os"), "Debian 11 (bullseye)");
    EXPECT_EQ(listed.at(pair.new_id).at("os"), "Debian 12 (bookworm)");
  }
}

TEST(SideBySide, EachVersionRunsItsOwnToolchain) {
  for (const auto& pair : kPairs) {
    const RunOutcome old_run = RunProject(pair.old_id, "version");
    const RunOutcome new_run = RunProject(pair.new_id, "version");
    ASSERT_EQ(old_run.Str("status"), "ok") << old_run.Describe();
    ASSERT_EQ(new_run.Str("status"), "ok") << new_run.Describe();
    const auto old_lines = old_run.Lines(), new_lines = new_run.Lines();
    ASSERT_FALSE(old_lines.empty() || new_lines.empty()) << old_run.Describe() << new_run.Describe();
    EXPECT_TRUE(std::regex_search(old_lines[0], std::regex(pair.old_self))) << old_run.Describe();
    EXPECT_TRUE(std::regex_search(new_lines[0], std::regex(pair.new_self))) << new_run.Describe();
  }
}

// The Python interpreter that ran is the image's file, byte for byte, not the host's.
TEST(SideBySide, Python39RunsTheImagesInterpreterNotTheHosts) {
  const RunOutcome out = RunProject("python-3.9", "version");
  const auto lines = out.Lines();
  ASSERT_EQ(lines.size(), 3u) << out.Describe();
  EXPECT_EQ(lines[1], "/usr/bin/python3.9") << out.Describe();
  const image::ImageInfo image = ImageOf("python-3.9");
  ASSERT_FALSE(image.rootfs.empty());
  EXPECT_EQ(lines[2], Sha256Of(image.rootfs + lines[1])) << out.Describe();
  EXPECT_FALSE(std::filesystem::exists("/usr/bin/python3.9")) << "the host has a python3.9 too: the test proves less";
}

TEST(TestImages, AreDebootstrapBuildsOfTheirRuntimesRecipes) {
  image::ImageStore store(kImageStore);
  auto catalog = Catalog::LoadDir(RUNLET_RUNTIMES_DIR);
  ASSERT_TRUE(catalog);
  for (const char* id : {"python-3.9", "go-1.15"}) {
    const Runtime* rt = catalog->Find(id);
    ASSERT_NE(rt, nullptr) << id;
    auto found = store.FindBuild(rt->image, rt->image_suite, rt->image_packages);
    ASSERT_TRUE(found) << found.error().message;
    EXPECT_EQ(found->source, image::DebootstrapSource(rt->image_suite, rt->image_packages));
    // A changed recipe no longer matches, so `--reuse` builds again.
    auto more = rt->image_packages;
    more.push_back("curl");
    auto changed = store.FindBuild(rt->image, rt->image_suite, more);
    ASSERT_FALSE(changed);
    EXPECT_NE(changed.error().message.find("not \"debootstrap bullseye: "), std::string::npos)
        << changed.error().message;
    EXPECT_FALSE(store.FindBuild(rt->image, "bookworm", rt->image_packages));
  }
}

TEST(TestImages, ABuildWithReuseKeepsTheImageBuiltFromTheSameRecipe) {
  const CliOutput cli = RunCli({RUNLET_BIN, "image", "build", "--for", "python-3.9", "--reuse", "--runtimes",
                                RUNLET_RUNTIMES_DIR, "--data", kImageStore});
  EXPECT_EQ(cli.exit_code, 0) << cli.stdout_data << cli.stderr_data;
  EXPECT_EQ(cli.stdout_data.rfind("kept bullseye-python sha256:", 0), 0u) << cli.stdout_data << cli.stderr_data;
  EXPECT_NE(cli.stderr_data.find("already built from debootstrap bullseye: python3"), std::string::npos)
      << cli.stderr_data;
}

}  // namespace
}  // namespace runlet::runtime::testing
