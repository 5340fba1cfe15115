#include "runtime/catalog.h"

#include <gtest/gtest.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace runlet::runtime {
namespace {

using namespace std::chrono_literals;

constexpr const char* kGood = R"json({
  "id": "go-1.19",
  "language": "go",
  "version": "1.19",
  "name": "Go 1.19",
  "os": "Debian 12 (bookworm)",
  "arch": "x86_64",
  "description": "The Go toolchain.",
  "image": "bookworm-go",
  "main_file": "main.go",
  "extensions": [".go"],
  "version_command": ["go", "version"],
  "build": "go build -o /tmp/main .",
  "run": ["/tmp/main"],
  "env": {"GOCACHE": "/tmp/cache", "GOMEMLIMIT": "{heap_mb}MiB"},
  "limits": {"build": {"time": "20s", "wall": "40s", "memory": "1G", "pids": 256},
             "run": {"memory": "512M", "cpus": 0.5, "open_files": "128"}},
  "memory_errors": ["out of memory"],
  "image_recipe": {"suite": "bookworm", "packages": ["golang-go", "ca-certificates"]},
  "faq": [{"question": "Modules?", "answer": "Standard library only."}],
  "enabled": false
})json";

// A minimal definition with `field` set to `value` (raw JSON), or removed if `value` is
// empty; With("", "") is the minimal definition itself.
std::string With(const std::string& field, const std::string& value) {
  std::string fields[][2] = {{"id", R"("py")"}, {"language", R"("python")"}, {"main_file", R"("main.py")"},
                             {"run", R"(["python3", "{main}"])"}};
  std::string text = "{";
  bool replaced = false;
  for (auto& [name, v] : fields) {
    if (name == field) {
      replaced = true;
      if (value.empty()) continue;
      v = value;
    }
    text += (text.size() > 1 ? ", \"" : "\"") + name + "\": " + v;
  }
  if (!replaced && !field.empty()) text += ", \"" + field + "\": " + value;
  return text + "}";
}

// The error message of parsing `text`, or "" if it parsed.
std::string ParseError(const std::string& text) {
  auto r = Catalog::ParseRuntime(text);
  return r ? "" : r.error().message;
}

TEST(CatalogParseRuntime, ReadsEveryFieldOfAFullDefinition) {
  auto r = Catalog::ParseRuntime(kGood);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->id, "go-1.19");
  EXPECT_EQ(r->language, "go");
  EXPECT_EQ(r->version, "1.19");
  EXPECT_EQ(r->name, "Go 1.19");
  EXPECT_EQ(r->os, "Debian 12 (bookworm)");
  EXPECT_EQ(r->arch, "x86_64");
  EXPECT_EQ(r->description, "The Go toolchain.");
  EXPECT_EQ(r->image, "bookworm-go");
  EXPECT_EQ(r->main_file, "main.go");
  EXPECT_EQ(r->extensions, std::vector<std::string>{".go"});
  EXPECT_EQ(r->version_command, (std::vector<std::string>{"go", "version"}));
  EXPECT_EQ(r->build.shell, "go build -o /tmp/main .");
  EXPECT_TRUE(r->build.argv.empty());
  EXPECT_EQ(r->run.argv, std::vector<std::string>{"/tmp/main"});
  EXPECT_TRUE(r->run.shell.empty());
  EXPECT_EQ(r->env.at("GOCACHE"), "/tmp/cache");
  EXPECT_EQ(r->env.at("GOMEMLIMIT"), "{heap_mb}MiB");
  EXPECT_EQ(r->build_limits.cpu_time, 20s);
  EXPECT_EQ(r->build_limits.wall_time, 40s);
  EXPECT_EQ(r->build_limits.memory_bytes, 1ull << 30);
  EXPECT_EQ(r->build_limits.pids, 256u);
  EXPECT_EQ(r->run_limits.memory_bytes, 512ull << 20);
  EXPECT_DOUBLE_EQ(r->run_limits.cpus, 0.5);
  EXPECT_EQ(r->run_limits.open_files, 128u);
  EXPECT_EQ(r->memory_errors, std::vector<std::string>{"out of memory"});
  EXPECT_EQ(r->image_suite, "bookworm");
  EXPECT_EQ(r->image_packages, (std::vector<std::string>{"golang-go", "ca-certificates"}));
  ASSERT_EQ(r->faq.size(), 1u);
  EXPECT_EQ(r->faq[0].question, "Modules?");
  EXPECT_EQ(r->faq[0].answer, "Standard library only.");
  EXPECT_FALSE(r->enabled);
}

TEST(CatalogParseRuntime, FillsInDefaultsForAMinimalDefinition) {
  auto r = Catalog::ParseRuntime(With("", ""));
  ASSERT_TRUE(r) << r.error().message;
  struct utsname u {};
  ::uname(&u);
  EXPECT_EQ(r->name, "py");
  EXPECT_EQ(r->arch, u.machine);
  EXPECT_EQ(r->image, "host");
  EXPECT_TRUE(r->enabled);
  EXPECT_TRUE(r->build.empty());
  EXPECT_TRUE(r->env.empty());
  EXPECT_TRUE(r->faq.empty());
  const Limits defaults;
  EXPECT_EQ(r->run_limits.cpu_time, defaults.cpu_time);
  EXPECT_EQ(r->run_limits.memory_bytes, defaults.memory_bytes);
  // Builds get more room than programs by default; both share one disk.
  EXPECT_GT(r->build_limits.cpu_time, defaults.cpu_time);
  EXPECT_GT(r->build_limits.memory_bytes, defaults.memory_bytes);
  EXPECT_EQ(r->run_limits.disk_bytes, r->build_limits.disk_bytes);
}

TEST(CatalogParseRuntime, RefusesTextThatIsNotAJsonObject) {
  EXPECT_NE(ParseError("{"), "");
  EXPECT_NE(ParseError("[]"), "");
  EXPECT_NE(ParseError(""), "");
}

TEST(CatalogParseRuntime, RefusesIdsOutsideLowercaseDigitsDashDotUnderscore) {
  EXPECT_NE(ParseError(With("id", "")).find("runtime id"), std::string::npos);
  EXPECT_NE(ParseError(With("id", R"("")")), "");
  EXPECT_NE(ParseError(With("id", R"("Python")")), "");
  EXPECT_NE(ParseError(With("id", R"("py/../x")")), "");
  EXPECT_NE(ParseError(With("id", R"("py 3")")), "");
  EXPECT_NE(ParseError(With("id", "\"" + std::string(65, 'a') + "\"")), "");
  EXPECT_EQ(ParseError(With("id", "\"" + std::string(64, 'a') + "\"")), "");
  EXPECT_EQ(ParseError(With("id", R"("python_3.11-slim")")), "");
}

TEST(CatalogParseRuntime, NamesTheRuntimeAndTheProblemInItsErrors) {
  const std::string e = ParseError(With("language", ""));
  EXPECT_NE(e.find("runtime py"), std::string::npos) << e;
  EXPECT_NE(e.find("language"), std::string::npos) << e;
  EXPECT_NE(ParseError(With("main_file", "")).find("main_file"), std::string::npos);
  EXPECT_NE(ParseError(With("run", "")).find("run is required"), std::string::npos);
}

TEST(CatalogParseRuntime, RefusesAMainFileOutsideTheWorkDirectory) {
  EXPECT_NE(ParseError(With("main_file", R"("/etc/passwd")")).find("main_file"), std::string::npos);
  EXPECT_NE(ParseError(With("main_file", R"("../main.py")")), "");
  EXPECT_NE(ParseError(With("main_file", R"("src//main.py")")), "");
  EXPECT_EQ(ParseError(With("main_file", R"("src/main.py")")), "");
}

TEST(CatalogParseRuntime, RefusesCommandsAndListsOfTheWrongType) {
  EXPECT_NE(ParseError(With("run", R"(["python3", 3])")), "");
  EXPECT_NE(ParseError(With("run", "42")), "");
  EXPECT_NE(ParseError(With("build", R"({"sh": "make"})")), "");
  EXPECT_NE(ParseError(With("extensions", R"(".py")")), "");
  EXPECT_NE(ParseError(With("memory_errors", R"([null])")), "");
  EXPECT_NE(ParseError(With("version_command", R"("python3 --version")")), "");
}

TEST(CatalogParseRuntime, RefusesEnvThatIsNotAnObjectOfStrings) {
  EXPECT_NE(ParseError(With("env", R"({"A": 1})")), "");
  EXPECT_NE(ParseError(With("env", R"(["A=1"])")).find("env"), std::string::npos);
  EXPECT_NE(ParseError(With("env", R"({"A=B": "1"})")), "");
  EXPECT_NE(ParseError(With("env", R"({"": "1"})")), "");
  // NUL in a name or a value would make every run of the runtime fail at execve.
  EXPECT_NE(ParseError(With("env", R"({"A": "x\u0000y"})")).find("NUL"), std::string::npos);
  EXPECT_NE(ParseError(With("env", R"({"A\u0000B": "1"})")).find("NUL"), std::string::npos);
  EXPECT_EQ(ParseError(With("env", R"({"A": "1"})")), "");
}

TEST(CatalogParseRuntime, RefusesUnknownMalformedOrOutOfRangeLimits) {
  EXPECT_NE(ParseError(With("limits", R"({"run": {"colour": "red"}})")).find("colour"), std::string::npos);
  EXPECT_NE(ParseError(With("limits", R"({"run": {"time": "soon"}})")).find("limit time"), std::string::npos);
  EXPECT_NE(ParseError(With("limits", R"({"run": {"memory": "lots"}})")), "");
  EXPECT_NE(ParseError(With("limits", R"({"run": {"pids": "many"}})")).find("pids"), std::string::npos);
  EXPECT_NE(ParseError(With("limits", R"({"run": {"pids": -1}})")), "");
  EXPECT_NE(ParseError(With("limits", R"({"run": {"pids": "64x"}})")), "");
  EXPECT_NE(ParseError(With("limits", R"({"run": {"cpus": "two"}})")), "");
  EXPECT_NE(ParseError(With("limits", R"({"run": {"memory": "1P"}})")), "");
  EXPECT_NE(ParseError(With("limits", R"({"run": {"time": true}})")), "");
  EXPECT_NE(ParseError(With("limits", R"({"run": "fast"})")), "");
  EXPECT_EQ(ParseError(With("limits", R"({"run": {"pids": 32, "time": "1s"}})")), "");
}

TEST(CatalogParseRuntime, RefusesFaqEntriesWithoutQuestionOrAnswer) {
  EXPECT_NE(ParseError(With("faq", R"([{"question": "Why?"}])")), "");
  EXPECT_NE(ParseError(With("faq", R"(["Why?"])")), "");
  EXPECT_NE(ParseError(With("faq", R"({"question": "Why?", "answer": "Because."})")), "");
}

Runtime Named(std::string id, std::string language, std::string version, std::vector<std::string> extensions) {
  Runtime r;
  r.id = std::move(id);
  r.language = std::move(language);
  r.version = std::move(version);
  r.extensions = std::move(extensions);
  return r;
}

TEST(CatalogForFile, PicksTheNewestEnabledVersionForAnExtension) {
  Catalog catalog;
  catalog.Add(Named("go-1.15", "go", "1.15", {".go"}));
  catalog.Add(Named("go-1.19", "go", "1.19", {".go"}));
  catalog.Add(Named("python-3.11", "python", "3.11", {".py"}));
  catalog.Add(Named("python-3.9", "python", "3.9", {".py"}));
  Runtime disabled = Named("python-3.12", "python", "3.12", {".py"});
  disabled.enabled = false;
  catalog.Add(disabled);
  ASSERT_NE(catalog.ForFile("main.go"), nullptr);
  EXPECT_EQ(catalog.ForFile("main.go")->id, "go-1.19");
  EXPECT_EQ(catalog.ForFile("src/app.py")->id, "python-3.11");
  EXPECT_EQ(catalog.ForFile("main.rb"), nullptr);
  EXPECT_EQ(catalog.ForFile(".go"), nullptr);
}

TEST(CatalogAdd, ReplacesARuntimeWithTheSameId) {
  Catalog catalog;
  catalog.Add(Named("node", "javascript", "", {".js"}));
  catalog.Add(Named("node", "javascript", "20", {".js", ".mjs"}));
  ASSERT_EQ(catalog.runtimes().size(), 1u);
  EXPECT_EQ(catalog.Find("node")->version, "20");
  EXPECT_EQ(catalog.Find("deno"), nullptr);
}

TEST(CatalogFind, FindsARuntimeByAFormerIdItListsAsAnAlias) {
  Catalog catalog;
  Runtime node = Named("node-18", "javascript", "18", {".js"});
  node.aliases = {"node"};
  catalog.Add(node);
  catalog.Add(Named("nodejs", "javascript", "20", {".js"}));
  ASSERT_NE(catalog.Find("node"), nullptr);
  EXPECT_EQ(catalog.Find("node")->id, "node-18");
  EXPECT_EQ(catalog.Find("node-18")->id, "node-18");
  EXPECT_EQ(catalog.Find("nodejs")->id, "nodejs");  // an id wins over another's alias
  // The repository's catalog: "node" is the host's Node.js (whatever version the host
  // has: its id wins over node-18's alias), node-18 Debian 12's on its own image.
  auto loaded = Catalog::LoadDir(RUNLET_RUNTIMES_DIR);
  ASSERT_TRUE(loaded) << loaded.error().message;
  ASSERT_NE(loaded->Find("node"), nullptr);
  EXPECT_EQ(loaded->Find("node")->id, "node");
  EXPECT_EQ(loaded->Find("node")->image, "host");
  EXPECT_EQ(loaded->Find("node-18")->version, "18");
}

TEST(CatalogParse, RefusesAliasesThatAreNotAListOfStrings) {
  auto parsed = Catalog::ParseRuntime(R"({"id": "node-18", "language": "javascript", "version": "18", "name": "Node.js 18",
    "main_file": "main.js", "run": ["node", "{main}"], "aliases": "node"})");
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("aliases must be a list of strings"), std::string::npos) << parsed.error().message;
}

TEST(CompareVersions, OrdersDottedVersionsByTheirNumbers) {
  EXPECT_GT(CompareVersions("3.11", "3.9"), 0);
  EXPECT_LT(CompareVersions("1.15", "1.19"), 0);
  EXPECT_EQ(CompareVersions("1.19", "1.19"), 0);
  EXPECT_EQ(CompareVersions("1.019", "1.19"), 0);
  EXPECT_GT(CompareVersions("1.19.1", "1.19"), 0);
  EXPECT_GT(CompareVersions("1.19", "1.19rc1"), 0);
  EXPECT_GT(CompareVersions("17", "8"), 0);
  EXPECT_LT(CompareVersions("", "1"), 0);
  EXPECT_EQ(CompareVersions("", ""), 0);
}

class CatalogDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("runlet-catalog-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }
  std::filesystem::path dir_;
};

TEST_F(CatalogDir, LoadsEveryDefinitionAndTheGlobalFaq) {
  Write("b.json", kGood);
  Write("a.json", With("", ""));
  Write("faq.json", R"([{"question": "Network?", "answer": "No."}])");
  Write("notes.txt", "not a runtime");
  auto catalog = Catalog::LoadDir(dir_);
  ASSERT_TRUE(catalog) << catalog.error().message;
  ASSERT_EQ(catalog->runtimes().size(), 2u);
  EXPECT_EQ(catalog->runtimes()[0].id, "py");
  EXPECT_EQ(catalog->runtimes()[1].id, "go-1.19");
  ASSERT_EQ(catalog->faq().size(), 1u);
  EXPECT_EQ(catalog->faq()[0].answer, "No.");
}

TEST_F(CatalogDir, NamesTheFileOfAMalformedDefinition) {
  Write("a.json", With("", ""));
  Write("broken.json", With("run", ""));
  auto catalog = Catalog::LoadDir(dir_);
  ASSERT_FALSE(catalog);
  EXPECT_NE(catalog.error().message.find("broken.json"), std::string::npos) << catalog.error().message;
}

TEST_F(CatalogDir, FailsForADirectoryThatDoesNotExist) {
  auto catalog = Catalog::LoadDir(dir_ / "missing");
  ASSERT_FALSE(catalog);
  EXPECT_NE(catalog.error().message.find("missing"), std::string::npos);
}

TEST(Catalog, LoadsTheRepositorysOwnRuntimeDefinitions) {
  auto catalog = Catalog::LoadDir(RUNLET_RUNTIMES_DIR);
  ASSERT_TRUE(catalog) << catalog.error().message;
  EXPECT_GE(catalog->runtimes().size(), 11u);
  EXPECT_FALSE(catalog->faq().empty());
  for (const auto& r : catalog->runtimes()) {
    EXPECT_FALSE(r.name.empty()) << r.id;
    EXPECT_FALSE(r.description.empty()) << r.id;
    EXPECT_FALSE(r.os.empty()) << r.id;
    EXPECT_FALSE(r.extensions.empty()) << r.id;
    EXPECT_FALSE(r.version_command.empty()) << r.id;
    EXPECT_TRUE(r.image == "host" || !r.image_suite.empty()) << r.id << ": an image needs a recipe";
  }
}

TEST(DefaultRuntimesDir, FollowsRunletRuntimesFromTheEnvironment) {
  ::setenv("RUNLET_RUNTIMES", "/somewhere/runtimes", 1);
  EXPECT_EQ(DefaultRuntimesDir(), "/somewhere/runtimes");
  ::unsetenv("RUNLET_RUNTIMES");
}

}  // namespace
}  // namespace runlet::runtime
