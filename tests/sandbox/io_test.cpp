// What goes in and out of a sandbox: streamed output, stdin, arguments, environment, the
// work directory and the files placed in it.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <thread>

#include "sandbox_test_support.h"

namespace runlet::sandbox::tests {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

using SandboxIo = SandboxTest;

TEST_F(SandboxIo, StreamsOutputToTheCallbackBeforeTheProgramEnds) {
  struct Chunk {
    Stream stream;
    std::string text;
    Clock::time_point at;
  };
  std::vector<Chunk> chunks;
  const RunResult r = RunOrFail(box(), PayloadSpec({"print-sleep-print", "300"}),
                                [&](Stream stream, std::string_view text) {
                                  chunks.push_back({stream, std::string(text), Clock::now()});
                                });
  const auto returned = Clock::now();
  ASSERT_EQ(r.status, RunStatus::kOk) << Describe(r);
  EXPECT_EQ(r.stdout_data, "first\nsecond\n");
  ASSERT_FALSE(chunks.empty());
  EXPECT_EQ(chunks.front().stream, Stream::kStdout);
  EXPECT_EQ(chunks.front().text, "first\n");
  EXPECT_GE(returned - chunks.front().at, milliseconds(250))
      << "the first line arrived only "
      << std::chrono::duration_cast<milliseconds>(returned - chunks.front().at).count()
      << " ms before the run returned";
  std::string streamed;
  for (const auto& c : chunks) streamed += c.text;
  EXPECT_EQ(streamed, r.stdout_data);
}

TEST_F(SandboxIo, PassesStdinDataThenEndOfFile) {
  RunSpec spec = PayloadSpec({"cat"});
  spec.stdin_data = std::string("line one\nline two\n\0binary\xFF", 27);
  const RunResult r = RunOrFail(box(), spec);
  ASSERT_EQ(r.status, RunStatus::kOk) << Describe(r);
  EXPECT_EQ(r.stdout_data, spec.stdin_data);
}

TEST_F(SandboxIo, PassesStdinDataLargerThanAPipeBuffer) {
  RunSpec spec = PayloadSpec({"cat"});
  std::string data;
  for (int i = 0; data.size() < (600u << 10); ++i) data += "line " + std::to_string(i) + "\n";
  spec.stdin_data = data;
  const RunResult r = RunOrFail(box(), spec);
  ASSERT_EQ(r.status, RunStatus::kOk) << Describe(r).substr(0, 300);
  EXPECT_EQ(r.stdout_data.size(), data.size());
  EXPECT_TRUE(r.stdout_data == data);
}

TEST_F(SandboxIo, GivesAnEmptyStdinWhenNoneIsSpecified) {
  const RunResult r = RunOrFail(box(), PayloadSpec({"cat"}));
  ASSERT_EQ(r.status, RunStatus::kOk) << Describe(r);
  EXPECT_EQ(r.stdout_data, "");
  EXPECT_LT(r.wall_time_ms, 1000) << "cat must see end of file at once";
}

TEST_F(SandboxIo, ForwardsStdinFromAFileDescriptorUntilEndOfFile) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  // The writer feeds the pipe slowly, so the sandbox forwards while the program runs.
  std::thread writer([fd = fds[1]] {
    for (int i = 0; i < 5; ++i) {
      const std::string line = "chunk " + std::to_string(i) + "\n";
      if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) break;
      ::usleep(30000);
    }
    ::close(fd);
  });
  RunSpec spec = PayloadSpec({"cat"});
  spec.stdin_fd = fds[0];
  const RunResult r = RunOrFail(box(), spec);
  writer.join();
  ::close(fds[0]);
  ASSERT_EQ(r.status, RunStatus::kOk) << Describe(r);
  EXPECT_EQ(r.stdout_data, "chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n");
}

TEST_F(SandboxIo, PassesArgumentsUnchanged) {
  const std::vector<std::string> args = {"plain", "two words", "", "--", "-x", "$HOME",
                                         "'quoted' \"too\"", "*", "\xC3\xA9t\xC3\xA9", "a\nb"};
  std::vector<std::string> argv = {"args"};
  argv.insert(argv.end(), args.begin(), args.end());
  const RunResult r = RunOrFail(box(), PayloadSpec(argv));
  ASSERT_EQ(r.status, RunStatus::kOk) << Describe(r);
  std::string expected;
  for (const auto& a : args) expected += a + "\n";
  EXPECT_EQ(r.stdout_data, expected);
}

TEST_F(SandboxIo, GivesPathHomeAndLangAndNothingFromTheHostEnvironment) {
  ASSERT_EQ(::setenv("RUNLET_TEST_LEAK_MARKER", "host-secret", 1), 0);
  const RunResult r = RunOrFail(box(), PayloadSpec({"env"}));
  ::unsetenv("RUNLET_TEST_LEAK_MARKER");
  ASSERT_EQ(r.status, RunStatus::kOk) << Describe(r);
  EXPECT_EQ(r.stdout_data.find("RUNLET_TEST_LEAK_MARKER"), std::string::npos) << r.stdout_data;
  EXPECT_EQ(r.stdout_data.find("host-secret"), std::string::npos) << r.stdout_data;
  std::vector<std::string> keys;
  for (const auto& line : Lines(r.stdout_data)) keys.push_back(line.substr(0, line.find('=')));
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"HOME", "LANG", "PATH", "TMPDIR"})) << r.stdout_data;
  const auto lines = Lines(r.stdout_data);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "HOME=/tmp"), lines.end()) << r.stdout_data;
  EXPECT_NE(std::find(lines.begin(), lines.end(), "LANG=C.UTF-8"), lines.end()) << r.stdout_data;
  EXPECT_NE(r.stdout_data.find("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"),
            std::string::npos)
      << r.stdout_data;
}

TEST_F(SandboxIo, AddsTheSpecsEnvironmentAndLetsItOverrideTheDefaults) {
  RunSpec spec = PayloadSpec({"env"});
  spec.env = {"GREETING=hello world", "LANG=C", "EMPTY=", "WITH_EQUALS=a=b"};
  const RunResult r = RunOrFail(box(), spec);
  ASSERT_EQ(r.status, RunStatus::kOk) << Describe(r);
  const auto lines = Lines(r.stdout_data);
  for (const char* expected : {"GREETING=hello world", "LANG=C", "EMPTY=", "WITH_EQUALS=a=b", "HOME=/tmp"}) {
    EXPECT_NE(std::find(lines.begin(), lines.end(), expected), lines.end())
        << expected << " missing from:\n" << r.stdout_data;
  }
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(),
                          [](const std::string& l) { return l.rfind("LANG=", 0) == 0; }),
            1)
      << r.stdout_data;
}

TEST_F(SandboxIo, RunsInTheWorkDirectoryWhichHoldsTheSpecsFiles) {
  RunSpec spec = PayloadSpec({"cwd"});
  const RunResult cwd = RunOrFail(box(), spec);
  ASSERT_EQ(cwd.status, RunStatus::kOk) << Describe(cwd);
  EXPECT_EQ(cwd.stdout_data, "/work\n");

  spec = PayloadSpec({"tree"});
  spec.files.push_back(InputFile{"main.c", "int main() {}\n", false});
  spec.files.push_back(InputFile{"src/lib/util.h", "#pragma once\n", false});
  spec.files.push_back(InputFile{"bin/tool", "#!/bin/sh\n", true});
  const RunResult tree = RunOrFail(box(), spec);
  ASSERT_EQ(tree.status, RunStatus::kOk) << Describe(tree);
  auto lines = Lines(tree.stdout_data);
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<std::string>{"d 755 bin", "d 755 src", "d 755 src/lib", "f 644 main.c",
                                             "f 644 src/lib/util.h", "f 755 bin/tool", "f 755 payload"}))
      << tree.stdout_data;
}

TEST_F(SandboxIo, CopiesFilesDirWithItsSubfoldersAndExecutableBits) {
  TempDir dir;
  dir.Write("payload", PayloadBytes(), 0755);
  dir.Write("data.txt", "top\n", 0644);
  dir.Write("sub/deeper/notes.md", "# notes\n", 0600);
  dir.Write("sub/tools/payload-copy", PayloadBytes(), 0700);
  RunSpec spec;
  spec.files_dir = dir.path();
  spec.argv = {"./payload", "tree"};
  const RunResult tree = RunOrFail(box(), spec);
  ASSERT_EQ(tree.status, RunStatus::kOk) << Describe(tree);
  auto lines = Lines(tree.stdout_data);
  std::sort(lines.begin(), lines.end());
  // Modes are normalised: 0755 for anything executable, 0644 for the rest.
  EXPECT_EQ(lines, (std::vector<std::string>{"d 755 sub", "d 755 sub/deeper", "d 755 sub/tools",
                                             "f 644 data.txt", "f 644 sub/deeper/notes.md",
                                             "f 755 payload", "f 755 sub/tools/payload-copy"}))
      << tree.stdout_data;

  // The copied executable in a sub-folder runs.
  spec.argv = {"sub/tools/payload-copy", "args", "from a sub-folder"};
  const RunResult nested = RunOrFail(box(), spec);
  ASSERT_EQ(nested.status, RunStatus::kOk) << Describe(nested);
  EXPECT_EQ(nested.stdout_data, "from a sub-folder\n");
}

TEST_F(SandboxIo, LetsTheProgramWriteInItsWorkDirectoryAndTmp) {
  RunSpec spec;
  spec.argv = {"/bin/sh", "-c", "echo a > /work/out && echo b > /tmp/out && cat /work/out /tmp/out"};
  const RunResult r = RunOrFail(box(), spec);
  ASSERT_EQ(r.status, RunStatus::kOk) << Describe(r);
  EXPECT_EQ(r.stdout_data, "a\nb\n");
}

TEST_F(SandboxIo, ReportsTheExitCodeOfAFailingProgram) {
  RunSpec spec;
  spec.argv = {"/bin/sh", "-c", "echo oops >&2; exit 7"};
  const RunResult r = RunOrFail(box(), spec);
  EXPECT_EQ(r.status, RunStatus::kRuntimeError) << Describe(r);
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_FALSE(r.signal.has_value());
  EXPECT_EQ(r.stderr_data, "oops\n");
}

TEST_F(SandboxIo, ReportsAMissingProgramAsExitCode127) {
  RunSpec spec;
  spec.argv = {"no-such-program-anywhere"};
  const RunResult r = RunOrFail(box(), spec);
  EXPECT_EQ(r.status, RunStatus::kRuntimeError) << Describe(r);
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_NE(r.message.find("no-such-program-anywhere"), std::string::npos) << r.message;
}

}  // namespace
}  // namespace runlet::sandbox::tests
