// End-to-end tests of every host runtime: the real runlet binary runs the example
// projects in projects/<runtime-id>/<case>/ with `runlet run --json` and the result
// object is checked. Also `runlet runtimes --json`.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "cli_runner.h"

namespace runlet::runtime::testing {
namespace {

namespace json = boost::json;

const std::string kProjects = RUNLET_PROJECTS_DIR;

// Every runtime whose image is "host", with the version its toolchain must report.
const std::map<std::string, std::string> kHostVersions = {
    {"bash-5.2", R"(^5\.2\.)"},      {"c-gcc-12", R"(^12\.)"},      {"cpp-gcc-12", R"(^12\.)"},
    {"go-1.19", R"(^1\.19(\.|$))"},  {"java-17", R"(^17(\.|$))"},   {"node", R"(^\d+\.\d+\.\d+$)"},
    {"perl-5.36", R"(^5\.36\.)"},    {"php-8.2", R"(^8\.2\.)"},     {"python-3.11", R"(^3\.11\.)"},
    {"ruby-3.1", R"(^3\.1\.)"},      {"rust-1.63", R"(^1\.63\.)"},
};

// What each compiler says about the undefined name in compile_error/.
const std::map<std::string, std::string> kCompilerMessages = {
    {"c-gcc-12", "error: "},
    {"cpp-gcc-12", "error: "},
    {"go-1.19", "undefined: undefinedThing"},
    {"java-17", "error: cannot find symbol"},
    {"rust-1.63", "error[E0425]"},
};

bool IsCompiled(const std::string& runtime) { return kCompilerMessages.count(runtime) > 0; }

// The data directory of this test process: a fresh image store and version cache.
const std::string& DataDir() {
  static const TempDir dir;
  return dir.path();
}

std::vector<std::string> BaseArgs(const std::string& verb) { return CliArgs(verb, DataDir()); }

RunOutcome RunProject(const std::string& runtime, const std::string& project_case,
                      const std::vector<std::string>& flags = {}, const std::vector<std::string>& args = {}) {
  return RunProjectIn(DataDir(), runtime, project_case, flags, args);
}

std::string ParamName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

std::vector<std::string> HostRuntimes() {
  std::vector<std::string> ids;
  for (const auto& [id, version] : kHostVersions) ids.push_back(id);
  return ids;
}

std::vector<std::string> CompiledRuntimes() {
  std::vector<std::string> ids;
  for (const auto& [id, message] : kCompilerMessages) ids.push_back(id);
  return ids;
}

// Checks a successful run: status ok, exit 0, the expected stdout, and a build step
// exactly when the runtime compiles.
void ExpectOk(const std::string& runtime, const RunOutcome& out, const std::string& expected_stdout) {
  EXPECT_EQ(out.cli.exit_code, 0) << out.Describe();
  EXPECT_EQ(out.Str("status"), "ok") << out.Describe();
  EXPECT_EQ(out.result.if_contains("exit_code") ? json::serialize(out.result.at("exit_code")) : "", "0")
      << out.Describe();
  EXPECT_EQ(out.Str("stdout"), expected_stdout) << out.Describe();
  if (IsCompiled(runtime)) {
    ASSERT_NE(out.Build(), nullptr) << out.Describe();
    EXPECT_EQ(out.Build()->at("status"), "ok") << out.Describe();
  } else {
    EXPECT_TRUE(out.result.contains("build") && out.result.at("build").is_null()) << out.Describe();
  }
}

class HostRuntime : public ::testing::TestWithParam<std::string> {};

TEST_P(HostRuntime, PrintsHelloWorld) {
  ExpectOk(GetParam(), RunProject(GetParam(), "hello"), "hello, world\n");
}

TEST_P(HostRuntime, RunsAProjectOfSeveralFilesAndFolders) {
  ExpectOk(GetParam(), RunProject(GetParam(), "multi"), "add(3, 4) = 7\ngreet: hello, runlet\n");
}

TEST_P(HostRuntime, EchoesStdinBackUpperCased) {
  TempDir dir;
  const std::string input = dir.Write("stdin.txt", "hello\nRunlet stdin\n");
  ExpectOk(GetParam(), RunProject(GetParam(), "stdin", {"--stdin", input}), "HELLO\nRUNLET STDIN\n");
}

TEST_P(HostRuntime, PassesTheArgumentsAfterTheDoubleDashIntact) {
  ExpectOk(GetParam(), RunProject(GetParam(), "args", {}, {"one", "two words", "3", "--flag", "*"}),
           "one\ntwo words\n3\n--flag\n*\n");
}

TEST_P(HostRuntime, ReportsExitCodeThreeAsRuntimeError) {
  const RunOutcome out = RunProject(GetParam(), "runtime_error");
  EXPECT_EQ(out.cli.exit_code, 0) << out.Describe();
  EXPECT_EQ(out.Str("status"), "runtime_error") << out.Describe();
  ASSERT_TRUE(out.result.contains("exit_code") && out.result.at("exit_code").is_int64()) << out.Describe();
  EXPECT_EQ(out.result.at("exit_code").as_int64(), 3) << out.Describe();
  EXPECT_NE(out.Str("stderr").find("about to fail"), std::string::npos) << out.Describe();
}

TEST_P(HostRuntime, StopsAnInfiniteLoopAtTheCpuTimeLimit) {
  const RunOutcome out = RunProject(GetParam(), "time_limit", {"--time", "1s", "--wall", "10s"});
  EXPECT_EQ(out.Str("status"), "time_limit") << out.Describe();
  ASSERT_TRUE(out.result.contains("cpu_time_ms") && out.result.at("cpu_time_ms").is_int64()) << out.Describe();
  EXPECT_GE(out.result.at("cpu_time_ms").as_int64(), 900) << out.Describe();
  EXPECT_FALSE(out.Str("message").empty()) << out.Describe();
}

TEST_P(HostRuntime, EndsAProgramThatAllocatesAGigabyteAsMemoryLimit) {
  const RunOutcome out = RunProject(GetParam(), "memory_limit", {"--memory", "128M", "--time", "10s", "--wall", "20s"});
  EXPECT_EQ(out.Str("status"), "memory_limit") << out.Describe();
  EXPECT_EQ(out.Str("stdout").find("allocated"), std::string::npos) << out.Describe();
  EXPECT_FALSE(out.Str("message").empty()) << out.Describe();
}

INSTANTIATE_TEST_SUITE_P(Every, HostRuntime, ::testing::ValuesIn(HostRuntimes()), ParamName);

class CompiledRuntime : public ::testing::TestWithParam<std::string> {};

TEST_P(CompiledRuntime, ReportsACompilerErrorAsCompileErrorWithoutRunningTheProgram) {
  const RunOutcome out = RunProject(GetParam(), "compile_error");
  EXPECT_EQ(out.cli.exit_code, 0) << out.Describe();
  EXPECT_EQ(out.Str("status"), "compile_error") << out.Describe();
  EXPECT_EQ(out.Str("stdout"), "") << out.Describe();
  const json::object* build = out.Build();
  ASSERT_NE(build, nullptr) << out.Describe();
  EXPECT_EQ(build->at("status"), "runtime_error") << out.Describe();
  EXPECT_TRUE(build->at("exit_code").is_int64() && build->at("exit_code").as_int64() != 0) << out.Describe();
  ASSERT_TRUE(build->at("stderr").is_string()) << out.Describe();
  const std::string stderr_text(build->at("stderr").as_string());
  EXPECT_NE(stderr_text.find(kCompilerMessages.at(GetParam())), std::string::npos) << out.Describe();
  EXPECT_NE(stderr_text.find(GetParam() == "go-1.19" || GetParam() == "java-17" ? "undefinedThing" : "undefined_thing"),
            std::string::npos)
      << out.Describe();
}

INSTANTIATE_TEST_SUITE_P(Every, CompiledRuntime, ::testing::ValuesIn(CompiledRuntimes()), ParamName);

TEST(RunletRun, InfersTheRuntimeFromTheMainFilesExtension) {
  for (const char* file : {"python-3.11/hello/main.py", "go-1.19/hello/main.go", "ruby-3.1/hello/main.rb"}) {
    auto argv = BaseArgs("run");
    argv.insert(argv.end(), {"--json", kProjects + "/" + file});
    const CliOutput cli = RunCli(argv);
    boost::system::error_code ec;
    const json::value doc = json::parse(cli.stdout_data, ec);
    ASSERT_FALSE(ec) << file << ": " << cli.stdout_data << cli.stderr_data;
    EXPECT_EQ(doc.at("status"), "ok") << file << ": " << cli.stdout_data;
    EXPECT_EQ(doc.at("stdout"), "hello, world\n") << file << ": " << cli.stdout_data;
  }
}

TEST(RunletRun, PassesOutputThroughAndExitsWithTheProgramsCodeWithoutJson) {
  auto argv = BaseArgs("run");
  argv.insert(argv.end(), {"--runtime", "python-3.11", kProjects + "/python-3.11/runtime_error"});
  const CliOutput cli = RunCli(argv);
  EXPECT_EQ(cli.exit_code, 3) << cli.stdout_data << cli.stderr_data;
  EXPECT_NE(cli.stderr_data.find("about to fail"), std::string::npos) << cli.stderr_data;
}

// `runlet runtimes --json`, parsed; fails the test if it is not a list of objects.
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
  for (const auto& item : doc.as_array()) {
    if (!item.is_object() || !item.as_object().contains("id")) {
      ADD_FAILURE() << "not a runtime: " << json::serialize(item);
      continue;
    }
    by_id[std::string(item.at("id").as_string())] = item.as_object();
  }
  return by_id;
}

TEST(RunletRuntimes, ListsEveryDefinitionWithTheFieldsOfTheContract) {
  const auto listed = ListRuntimes();
  std::set<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(RUNLET_RUNTIMES_DIR)) {
    const std::string name = entry.path().filename();
    if (entry.path().extension() == ".json" && name != "faq.json") files.insert(entry.path().stem());
  }
  ASSERT_FALSE(files.empty());
  for (const auto& id : files) {
    ASSERT_TRUE(listed.count(id)) << id << " is not listed";
    const json::object& o = listed.at(id);
    for (const char* key : {"id", "language", "version", "name", "os", "arch", "description", "main_file"}) {
      ASSERT_TRUE(o.contains(key) && o.at(key).is_string()) << id << ": " << key;
      EXPECT_FALSE(o.at(key).as_string().empty()) << id << ": " << key;
    }
    ASSERT_TRUE(o.contains("faq") && o.at("faq").is_array()) << id;
    for (const auto& entry : o.at("faq").as_array()) {
      EXPECT_TRUE(entry.at("question").is_string() && entry.at("answer").is_string()) << id;
    }
    ASSERT_TRUE(o.contains("available") && o.at("available").is_bool()) << id;
  }
  EXPECT_EQ(listed.size(), files.size());
}

TEST(RunletRuntimes, ReportsTheExactToolchainVersionOfEveryHostRuntime) {
  const auto listed = ListRuntimes();
  for (const auto& [id, pattern] : kHostVersions) {
    ASSERT_TRUE(listed.count(id)) << id << " is not listed";
    const json::object& o = listed.at(id);
    EXPECT_EQ(o.at("available"), true) << json::serialize(o);
    const std::string version(o.at("version").as_string());
    EXPECT_TRUE(std::regex_search(version, std::regex(pattern))) << id << " reports version \"" << version << "\"";
  }
}

TEST(RunletRuntimes, ListsARuntimeWhoseImageIsMissingAsUnavailableWithHowToBuildIt) {
  const auto listed = ListRuntimes();
  ASSERT_TRUE(listed.count("python-3.9"));
  const json::object& o = listed.at("python-3.9");
  EXPECT_EQ(o.at("image"), "bullseye-python");
  EXPECT_EQ(o.at("available"), false) << json::serialize(o);
  ASSERT_TRUE(o.contains("problem") && o.at("problem").is_string()) << json::serialize(o);
  const std::string problem(o.at("problem").as_string());
  EXPECT_NE(problem.find("runlet image build bullseye-python"), std::string::npos) << problem;
  EXPECT_NE(problem.find("--suite bullseye"), std::string::npos) << problem;
  EXPECT_NE(problem.find("python3"), std::string::npos) << problem;
  EXPECT_NE(problem.find("runlet image build --for python-3.9"), std::string::npos) << problem;
}

TEST(RunletRuntimes, RefusesToRunARuntimeWhoseImageIsMissingAndSaysHowToBuildIt) {
  auto argv = BaseArgs("run");
  argv.insert(argv.end(), {"--runtime", "python-3.9", "--json", kProjects + "/python-3.11/hello"});
  const CliOutput cli = RunCli(argv);
  EXPECT_NE(cli.exit_code, 0) << cli.stdout_data;
  EXPECT_NE(cli.stderr_data.find("bullseye-python"), std::string::npos) << cli.stderr_data;
  EXPECT_NE(cli.stderr_data.find("runlet image"), std::string::npos) << cli.stderr_data;
}

// `runlet image build --for ID` refuses what it cannot build before running debootstrap.
TEST(RunletImageBuild, RefusesARuntimeItCannotBuildAnImageForWithAClearMessage) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--for", "python-3.11"}, "runtime python-3.11 (image host) has no image_recipe"},
      {{"--for", "no-such-runtime"}, "no runtime \"no-such-runtime\""},
      {{"--for", "python-3.9", "--suite", "bookworm"}, "--for takes the suite and packages from the runtime"},
      {{"other-name", "--for", "python-3.9"}, "runtime python-3.9 runs on image bullseye-python, not other-name"},
      {{}, "give an image name or --for RUNTIME"},
      {{"--all", "--suite", "bookworm"}, "--all builds every runtime's image from its image_recipe"},
      {{"--for", "lua-5.4", "--for", "no-such-runtime"}, "no runtime \"no-such-runtime\""},
  };
  for (const auto& [extra, message] : cases) {
    std::vector<std::string> argv = {RUNLET_BIN, "image", "build", "--runtimes", RUNLET_RUNTIMES_DIR, "--data", DataDir()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const CliOutput cli = RunCli(argv);
    EXPECT_EQ(cli.exit_code, 2) << message << "\n" << cli.stdout_data << cli.stderr_data;
    EXPECT_NE(cli.stderr_data.find(message), std::string::npos) << cli.stderr_data;
  }
  EXPECT_FALSE(std::filesystem::exists(DataDir() + "/images/refs/bullseye-python"));
}

}  // namespace
}  // namespace runlet::runtime::testing
