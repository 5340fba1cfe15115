#include "runtime/job.h"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace runlet::runtime {
namespace {

using namespace std::chrono_literals;

Runtime JavaLike() {
  Runtime r;
  r.id = "java-17";
  r.language = "java";
  r.image = "host";
  r.main_file = "Main.java";
  r.build.shell = "javac -J-Xmx{heap_mb}m -d /tmp/out {main}";
  r.run.argv = {"java", "-Xmx{heap_mb}m", "-cp", "/tmp/out", "{main_stem}"};
  r.env = {{"HEAP", "{heap_mb}"}, {"LANGUAGE", "java"}};
  r.build_limits.memory_bytes = 1ull << 30;
  r.build_limits.disk_bytes = 256ull << 20;
  r.run_limits.memory_bytes = 512ull << 20;
  r.memory_errors = {"java.lang.OutOfMemoryError"};
  return r;
}

JobRequest Files(std::vector<std::string> paths) {
  JobRequest request;
  for (auto& p : paths) request.files.push_back(InputFile{std::move(p), "content", false});
  return request;
}

// Runs argv (a /bin/sh -c command) in a fresh directory; its stdout.
std::string ShellOutput(const std::vector<std::string>& argv, std::string* dir_out = nullptr) {
  char dir[] = "/tmp/runlet-job-test-XXXXXX";
  if (!::mkdtemp(dir)) return "mkdtemp failed";
  int out[2];
  if (::pipe(out) < 0) return "pipe failed";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    if (::chdir(dir) < 0) ::_exit(126);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(out[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (dir_out) {
    *dir_out = dir;
  } else {
    std::filesystem::remove_all(dir);
  }
  return text;
}

// The shell command with `echo` (or `prefix`) before its line, so running it prints
// the words the line would run.
std::vector<std::string> WithEcho(std::vector<std::string> argv, const std::string& prefix = "echo") {
  const size_t line = argv[2].find('\n') + 1;
  argv[2].insert(line, prefix + " ");
  return argv;
}

bool Contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

TEST(MakeJob, SubstitutesMainMainStemAndHeapInCommandsAndEnv) {
  auto job = MakeJob(JavaLike(), Files({"Main.java", "lib/Util.java"}));
  ASSERT_TRUE(job) << job.error().message;
  // The run's heap is 3/4 of its 512M; the build's of its 1G.
  EXPECT_EQ(job->run.argv, (std::vector<std::string>{"java", "-Xmx384m", "-cp", "/tmp/out", "Main"}));
  ASSERT_TRUE(job->build);
  EXPECT_EQ(ShellOutput(WithEcho(job->build->argv)), "javac -J-Xmx768m -d /tmp/out Main.java\n");
  EXPECT_TRUE(Contains(job->run.env, "HEAP=384"));
  EXPECT_TRUE(Contains(job->build->env, "HEAP=768"));
  EXPECT_TRUE(Contains(job->run.env, "LANGUAGE=java"));
  EXPECT_EQ(job->image, "host");
  EXPECT_EQ(job->files.size(), 2u);
  EXPECT_EQ(job->memory_errors, std::vector<std::string>{"java.lang.OutOfMemoryError"});
}

TEST(MakeJob, SubstitutesEveryOccurrenceAndLeavesUnknownBracesAlone) {
  Runtime r = JavaLike();
  r.run.argv = {"run", "{main}:{main}", "{unknown}", "{main_stem}.class", "{}"};
  auto job = MakeJob(r, Files({"Main.java"}));
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_EQ(job->run.argv, (std::vector<std::string>{"run", "Main.java:Main.java", "{unknown}", "Main.class", "{}"}));
}

TEST(MakeJob, UsesTheRequestedMainFileAndItsStem) {
  JobRequest request = Files({"src/app.test.py", "Main.java"});
  request.main_file = "src/app.test.py";
  auto job = MakeJob(JavaLike(), request);
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_EQ(job->run.argv.back(), "app.test");
  EXPECT_EQ(ShellOutput(WithEcho(job->build->argv)), "javac -J-Xmx768m -d /tmp/out src/app.test.py\n");
}

TEST(MakeJob, KeepsADotFileNameWholeAsItsStem) {
  Runtime r = JavaLike();
  r.main_file = ".profile";
  auto job = MakeJob(r, Files({".profile"}));
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_EQ(job->run.argv.back(), ".profile");
}

TEST(MakeJob, NeverGivesAHeapBelowEightMegabytes) {
  JobRequest request = Files({"Main.java"});
  Limits tiny;
  tiny.memory_bytes = 4ull << 20;
  request.run_limits = tiny;
  auto job = MakeJob(JavaLike(), request);
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_EQ(job->run.argv[1], "-Xmx8m");
}

TEST(MakeJob, AppendsArgumentsIntactToAnArgvCommand) {
  JobRequest request = Files({"Main.java"});
  request.args = {"two words", "$HOME", "'quoted'"};
  auto job = MakeJob(JavaLike(), request);
  ASSERT_TRUE(job) << job.error().message;
  const std::vector<std::string> tail(job->run.argv.end() - 3, job->run.argv.end());
  EXPECT_EQ(tail, request.args);
}

TEST(MakeJob, PassesArgumentsToAShellRunCommandAsPositionalParameters) {
  Runtime r = JavaLike();
  r.run.argv.clear();
  r.run.shell = "./prog --heap {heap_mb}";
  JobRequest request = Files({"Main.java"});
  request.args = {"two words", "$(reboot)"};
  auto job = MakeJob(r, request);
  ASSERT_TRUE(job) << job.error().message;
  ASSERT_EQ(job->run.argv.size(), 9u);
  EXPECT_EQ(job->run.argv[0], "/bin/sh");
  // printf prints each word on a line: the arguments arrive whole and unexpanded.
  EXPECT_EQ(ShellOutput(WithEcho(job->run.argv, "printf '%s\\n'")), "./prog\n--heap\n384\ntwo words\n$(reboot)\n");
}

TEST(MakeJob, PutsRequestEnvAfterTheRuntimesSoItWins) {
  JobRequest request = Files({"Main.java"});
  request.env = {"LANGUAGE=kotlin"};
  auto job = MakeJob(JavaLike(), request);
  ASSERT_TRUE(job) << job.error().message;
  ASSERT_EQ(job->run.env.back(), "LANGUAGE=kotlin");
  EXPECT_EQ(job->build->env.back(), "LANGUAGE=kotlin");
}

TEST(MakeJob, UsesRequestedRunLimitsAndOneDiskForBuildAndRun) {
  JobRequest request = Files({"Main.java"});
  Limits limits;
  limits.cpu_time = 1s;
  limits.memory_bytes = 128ull << 20;
  limits.disk_bytes = 16ull << 20;
  request.run_limits = limits;
  auto job = MakeJob(JavaLike(), request);
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_EQ(job->run.limits.cpu_time, 1s);
  EXPECT_EQ(job->run.limits.memory_bytes, 128ull << 20);
  EXPECT_EQ(job->run.argv[1], "-Xmx96m");
  // The build's larger disk is the shared file system's size.
  EXPECT_EQ(job->run.limits.disk_bytes, 256ull << 20);
  EXPECT_EQ(job->build->limits.disk_bytes, 256ull << 20);
  EXPECT_EQ(job->build->limits.memory_bytes, 1ull << 30);
}

TEST(MakeJob, ClampedBuildLimitsSizeTheSharedFileSystem) {
  JobRequest request = Files({"Main.java"});
  Limits small;
  small.disk_bytes = 1ull << 20;
  small.memory_bytes = 64ull << 20;
  request.run_limits = small;
  request.build_limits = small;
  auto job = MakeJob(JavaLike(), request);
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_EQ(job->run.limits.disk_bytes, 1ull << 20);
  EXPECT_EQ(job->build->limits.disk_bytes, 1ull << 20);
  EXPECT_EQ(job->build->limits.memory_bytes, 64ull << 20);
  EXPECT_EQ(ShellOutput(WithEcho(job->build->argv)), "javac -J-Xmx48m -d /tmp/out Main.java\n");
}

// File names are the user's: whatever they hold, a shell command runs only the
// runtime's words, with the name as one argument.
TEST(MakeJob, FileNamesNeverBecomeShellCodeInBuildOrRunLines) {
  Runtime r = JavaLike();
  r.build.shell = "printf '[%s]\\n' {main} \"{main}\" {main_stem} '{main}' \"x{main_stem}\\\"\"";
  r.run.argv.clear();
  r.run.shell = "printf '<%s>\\n' {main}";
  for (const std::string name : {"a.rs;touch PWNED;exit 1;#", "$(touch PWNED).rs", "`touch PWNED`.rs",
                                 "x' ; touch PWNED ; '.rs", "x\" ; touch PWNED ; \".rs",
                                 "${IFS}touch${IFS}PWNED.rs", "-c touch PWNED.rs"}) {
    JobRequest request = Files({name});
    request.main_file = name;
    auto job = MakeJob(r, request);
    ASSERT_TRUE(job) << job.error().message;
    std::string dir;
    const std::string shown = name.front() == '-' ? "./" + name : name;
    const std::string stem = name.substr(0, name.rfind('.'));
    EXPECT_EQ(ShellOutput(job->build->argv, &dir),
              "[" + shown + "]\n[" + shown + "]\n[" + stem + "]\n[" + shown + "]\n[x" + stem + "\"]\n")
        << name;
    EXPECT_FALSE(std::filesystem::exists(dir + "/PWNED")) << name;
    std::filesystem::remove_all(dir);
    EXPECT_EQ(ShellOutput(job->run.argv, &dir), "<" + shown + ">\n") << name;
    EXPECT_FALSE(std::filesystem::exists(dir + "/PWNED")) << name;
    std::filesystem::remove_all(dir);
  }
  // A name with a line break never gets this far: paths with control characters are refused.
  JobRequest request = Files({"a\ntouch PWNED\n.rs"});
  request.main_file = "a\ntouch PWNED\n.rs";
  EXPECT_FALSE(MakeJob(r, request));
}

TEST(MakeJob, PassesAMainFileNamedLikeAnOptionAsAPath) {
  Runtime r = JavaLike();
  r.run.argv = {"python3", "{main}"};
  JobRequest request = Files({"-c"});
  request.main_file = "-c";
  auto job = MakeJob(r, request);
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_EQ(job->run.argv, (std::vector<std::string>{"python3", "./-c"}));
}

TEST(MakeJob, HasNoBuildStepWhenTheRuntimeHasNone) {
  Runtime r = JavaLike();
  r.build = {};
  auto job = MakeJob(r, Files({"Main.java"}));
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_FALSE(job->build);
}

TEST(MakeJob, RefusesAProjectWithoutItsMainFile) {
  auto job = MakeJob(JavaLike(), Files({"main.java", "src/Main.java"}));
  ASSERT_FALSE(job);
  EXPECT_NE(job.error().message.find("Main.java is missing"), std::string::npos) << job.error().message;
  JobRequest request = Files({"Main.java"});
  request.main_file = "App.java";
  EXPECT_FALSE(MakeJob(JavaLike(), request));
}

TEST(MakeJob, RefusesNoFilesAndDisabledRuntimes) {
  EXPECT_FALSE(MakeJob(JavaLike(), JobRequest{}));
  Runtime r = JavaLike();
  r.enabled = false;
  auto job = MakeJob(r, Files({"Main.java"}));
  ASSERT_FALSE(job);
  EXPECT_NE(job.error().message.find("disabled"), std::string::npos);
}

TEST(MakeJob, RefusesFilePathsThatLeaveTheWorkDirectory) {
  for (const char* bad : {"/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a/", ""}) {
    auto job = MakeJob(JavaLike(), Files({"Main.java", bad}));
    ASSERT_FALSE(job) << bad;
    EXPECT_NE(job.error().message.find("file \"" + std::string(bad) + "\""), std::string::npos)
        << job.error().message;
  }
  JobRequest request = Files({"Main.java"});
  request.main_file = "../Main.java";
  auto job = MakeJob(JavaLike(), request);
  ASSERT_FALSE(job);
  EXPECT_NE(job.error().message.find("main file"), std::string::npos);
  EXPECT_TRUE(MakeJob(JavaLike(), Files({"Main.java", "a/b/c.txt", ".hidden", "a..b"})));
}

TEST(MakeJob, CopiesStdinIntoTheJob) {
  JobRequest request = Files({"Main.java"});
  request.stdin_data = "input\n";
  auto job = MakeJob(JavaLike(), request);
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_EQ(job->stdin_data, "input\n");
}

Job WithMarkers(std::vector<std::string> markers) {
  Job job;
  job.memory_errors = std::move(markers);
  return job;
}

RunResult Failed(std::string stderr_text, RunStatus status = RunStatus::kRuntimeError) {
  RunResult r;
  r.status = status;
  r.exit_code = 1;
  r.stderr_data = std::move(stderr_text);
  return r;
}

TEST(ClassifyMemoryErrors, TurnsARuntimeErrorNamingTheMarkerIntoMemoryLimit) {
  RunResult r = Failed("Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space\n");
  ClassifyMemoryErrors(WithMarkers({"java.lang.OutOfMemoryError"}), r);
  EXPECT_EQ(r.status, RunStatus::kMemoryLimit);
  EXPECT_NE(r.message.find("java.lang.OutOfMemoryError"), std::string::npos) << r.message;
  EXPECT_EQ(r.exit_code, 1);
}

TEST(ClassifyMemoryErrors, LeavesOtherRuntimeErrorsAlone) {
  RunResult r = Failed("Traceback...\nZeroDivisionError: division by zero\n");
  ClassifyMemoryErrors(WithMarkers({"MemoryError"}), r);
  EXPECT_EQ(r.status, RunStatus::kRuntimeError);
  EXPECT_EQ(r.message, "");
}

TEST(ClassifyMemoryErrors, ChangesOnlyRuntimeErrors) {
  for (RunStatus status : {RunStatus::kOk, RunStatus::kTimeLimit, RunStatus::kOutputLimit, RunStatus::kCompileError}) {
    RunResult r = Failed("MemoryError", status);
    ClassifyMemoryErrors(WithMarkers({"MemoryError"}), r);
    EXPECT_EQ(r.status, status) << StatusName(status);
  }
}

TEST(ClassifyMemoryErrors, IgnoresEmptyMarkers) {
  RunResult r = Failed("anything");
  ClassifyMemoryErrors(WithMarkers({""}), r);
  EXPECT_EQ(r.status, RunStatus::kRuntimeError);
  ClassifyMemoryErrors(WithMarkers({}), r);
  EXPECT_EQ(r.status, RunStatus::kRuntimeError);
}

}  // namespace
}  // namespace runlet::runtime
