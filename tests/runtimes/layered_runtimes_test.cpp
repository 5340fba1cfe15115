// End-to-end tests of the runtimes whose images are layers over a shared Debian 12 base
// (runtimes/*.json with an image_recipe on bookworm; `runlet image build --all`): every
// example project in projects/<runtime-id>/<case>/ runs through the real runlet binary.
// The cases a language has are the folders that exist: hello, multi (a main file that
// uses modules from its folder and a subfolder, where the language has modules), stdin,
// compile_error (compiled languages) and runtime_error. The images come from the CTest
// fixture `runlet_test_images` (tests/runtimes/CMakeLists.txt).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <sys/stat.h>

#include "cli_runner.h"
#include "image/image_store.h"

namespace runlet::runtime::testing {
namespace {

namespace json = boost::json;

const std::string kProjects = RUNLET_PROJECTS_DIR;

struct Language {
  std::string id;
  std::string compile_message;  // what the compiler says about undefined_thing ("": not compiled)
  std::string stdin_mode;       // "upper": echoes stdin upper-cased; "echo": as it is; "sum": adds two numbers
  std::string runtime_message;  // in the output of runtime_error/
  int runtime_code;             // its exit code; -1: no runtime_error case
};

const std::vector<Language> kLanguages = {
    {"node-18", "", "upper", "about to fail", 3},
    {"typescript-4.8", "error TS2304", "upper", "about to fail", 3},
    {"csharp-mono-6.8", "error CS0103", "upper", "about to fail", 3},
    {"kotlin-1.3", "unresolved reference: undefined_thing", "upper", "about to fail", 3},
    {"scala-2.11", "error: not found: value undefined_thing", "upper", "about to fail", 3},
    {"groovy-2.4", "", "upper", "about to fail", 3},
    {"clojure-1.11", "", "upper", "about to fail", 3},
    {"haskell-ghc-9.0", "Variable not in scope: undefined_thing", "upper", "about to fail", 3},
    {"ocaml-4.13", "Unbound value undefined_thing", "upper", "about to fail", 3},
    {"erlang-25", "function undefined_thing/0 undefined", "upper", "about to fail", 3},
    {"elixir-1.14", "", "upper", "about to fail", 3},
    {"lua-5.4", "", "upper", "about to fail", 3},
    {"r-4.2", "", "upper", "about to fail", 3},
    {"nim-1.6", "undeclared identifier: 'undefined_thing'", "upper", "about to fail", 3},
    {"crystal-1.6", "undefined local variable or method 'undefined_thing'", "upper", "about to fail", 3},
    {"d-gdc-12", "undefined identifier", "upper", "about to fail", 3},
    {"fortran-gfortran-12", "undefined_thing", "upper", "about to fail", 3},
    {"pascal-fpc-3.2", "Identifier not found \"undefined_thing\"", "upper", "about to fail", 3},
    {"cobol-gnucobol-3.1", "UNDEFINED-THING", "upper", "about to fail", 3},
    {"ada-gnat-12", "\"undefined_thing\" is undefined", "upper", "about to fail", 3},
    {"asm-nasm-2.16", "undefined_thing", "upper", "about to fail", 3},
    {"prolog-swipl-9.0", "", "upper", "about to fail", 3},
    {"commonlisp-sbcl-2.2", "", "upper", "about to fail", 3},
    {"scheme-guile-3.0", "", "upper", "about to fail", 3},
    {"racket-8.7", "", "upper", "about to fail", 3},
    {"tcl-8.6", "", "upper", "about to fail", 3},
    {"octave-7.3", "", "upper", "about to fail", 3},
    {"sql-sqlite-3.40", "", "upper", "about to fail", 3},
    {"brainfuck-beef-1.2", "", "echo", "Unbalanced brackets", 1},
    {"objc-gcc-12", "undefined_thing", "upper", "about to fail", 3},
    {"basic-yabasic-2.90", "", "upper", "about to fail", 3},
    {"forth-gforth-0.7", "", "upper", "about to fail", 3},
    {"raku-2022.12", "", "upper", "about to fail", 3},
    {"awk-gawk-5.2", "", "upper", "about to fail", 3},
    {"bc-1.07", "", "sum", "about to fail", -1},
};

const Language& Find(const std::string& id) {
  for (const auto& l : kLanguages) {
    if (l.id == id) return l;
  }
  throw std::logic_error("no language " + id);
}

const std::string& DataDir() { return DataDirOverImages(RUNLET_TEST_IMAGES); }

struct Case {
  std::string runtime, name;
};

// Every (runtime, case folder) there is.
std::vector<Case> Cases() {
  std::vector<Case> out;
  for (const auto& l : kLanguages) {
    for (const char* name : {"hello", "multi", "stdin", "compile_error", "runtime_error"}) {
      if (std::filesystem::is_directory(kProjects + "/" + l.id + "/" + name)) out.push_back({l.id, name});
    }
  }
  return out;
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  std::string name = info.param.runtime + "_" + info.param.name;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

std::string Text(const json::object* o, const char* key) {
  if (!o || !o->contains(key) || !o->at(key).is_string()) return "";
  return std::string(o->at(key).as_string());
}

class LayeredRuntime : public ::testing::TestWithParam<Case> {};

TEST_P(LayeredRuntime, RunsTheExampleProjectAsExpected) {
  const Language& lang = Find(GetParam().runtime);
  const std::string& name = GetParam().name;
  const bool compiled = !lang.compile_message.empty();
  std::vector<std::string> flags;
  TempDir dir;
  std::string expected;
  if (name == "hello") {
    expected = "hello, world\n";
  } else if (name == "multi") {
    expected = "add(3, 4) = 7\ngreet: hello, runlet\n";
  } else if (name == "stdin") {
    std::string input = "hello\nRunlet stdin\n";
    expected = "HELLO\nRUNLET STDIN\n";
    if (lang.stdin_mode == "echo") expected = input;
    if (lang.stdin_mode == "sum") input = "3\n4\n", expected = "7\n";
    flags = {"--stdin", dir.Write("stdin.txt", input)};
  }
  const RunOutcome out = RunProjectIn(DataDir(), lang.id, name, flags);
  ASSERT_EQ(out.cli.exit_code, 0) << out.Describe();
  if (name == "compile_error") {
    EXPECT_EQ(out.Str("status"), "compile_error") << out.Describe();
    EXPECT_EQ(out.Str("stdout"), "") << out.Describe();
    const json::object* build = out.Build();
    ASSERT_NE(build, nullptr) << out.Describe();
    EXPECT_EQ(build->at("status"), "runtime_error") << out.Describe();
    const std::string said = Text(build, "stderr") + Text(build, "stdout");
    EXPECT_NE(said.find(lang.compile_message), std::string::npos) << out.Describe();
    return;
  }
  if (name == "runtime_error") {
    EXPECT_EQ(out.Str("status"), "runtime_error") << out.Describe();
    ASSERT_TRUE(out.result.contains("exit_code") && out.result.at("exit_code").is_int64()) << out.Describe();
    EXPECT_EQ(out.result.at("exit_code").as_int64(), lang.runtime_code) << out.Describe();
    EXPECT_NE((out.Str("stderr") + out.Str("stdout")).find(lang.runtime_message), std::string::npos)
        << out.Describe();
    return;
  }
  EXPECT_EQ(out.Str("status"), "ok") << out.Describe();
  EXPECT_EQ(out.Str("stdout"), expected) << out.Describe();
  if (compiled) {
    ASSERT_NE(out.Build(), nullptr) << out.Describe();
    EXPECT_EQ(out.Build()->at("status"), "ok") << out.Describe();
  } else {
    EXPECT_TRUE(out.result.contains("build") && out.result.at("build").is_null()) << out.Describe();
  }
}

INSTANTIATE_TEST_SUITE_P(Bookworm, LayeredRuntime, ::testing::ValuesIn(Cases()), CaseName);

// Each is listed as available with the version its image's package has, which begins
// with the version its id declares.
TEST(LayeredRuntimes, AreListedAsAvailableWithTheVersionTheirImageHas) {
  auto argv = CliArgs("runtimes", DataDir());
  argv.push_back("--json");
  const CliOutput cli = RunCli(argv);
  ASSERT_EQ(cli.exit_code, 0) << cli.stderr_data;
  const json::value doc = json::parse(cli.stdout_data);
  std::map<std::string, json::object> by_id;
  for (const auto& item : doc.as_array()) by_id[std::string(item.at("id").as_string())] = item.as_object();
  for (const auto& l : kLanguages) {
    ASSERT_TRUE(by_id.count(l.id)) << l.id;
    const json::object& o = by_id.at(l.id);
    EXPECT_EQ(o.at("available"), true) << json::serialize(o);
    EXPECT_EQ(json::value_to<std::string>(o.at("image")), "bookworm-" + l.id.substr(0, l.id.find('-'))) << json::serialize(o);
    const std::string declared = l.id.substr(l.id.rfind('-') + 1);
    EXPECT_EQ(std::string(o.at("version").as_string()).rfind(declared, 0), 0u) << json::serialize(o);
  }
}

// The images are layers: each holds the shared base's files as hard links (same inode),
// and records the recipe it was built from, so `--reuse` and `--all` keep it.
TEST(LayeredImages, ShareTheSuitesBaseByHardLinksAndRecordTheirRecipes) {
  image::ImageStore store(RUNLET_TEST_IMAGES);
  auto base = store.FindBuild("base-bookworm", "bookworm", {});
  ASSERT_TRUE(base) << base.error().message;
  struct stat in_base {};
  ASSERT_EQ(::lstat((base->rootfs + "/usr/bin/dash").c_str(), &in_base), 0);
  for (const char* name : {"bookworm-lua", "bookworm-haskell", "bookworm-node"}) {
    auto info = store.Resolve(name);
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->source.rfind("debootstrap bookworm: ", 0), 0u) << info->source;
    struct stat in_image {};
    ASSERT_EQ(::lstat((info->rootfs + "/usr/bin/dash").c_str(), &in_image), 0) << name;
    EXPECT_EQ(in_image.st_ino, in_base.st_ino) << name << " holds a copy of the base's /usr/bin/dash";
  }
}

}  // namespace
}  // namespace runlet::runtime::testing
