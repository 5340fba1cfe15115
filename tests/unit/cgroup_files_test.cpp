// The cgroup file helpers against an ordinary temporary directory: they only use
// open/read/write/mkdir/rmdir, which behave the same there for everything tested here.
#include "sandbox/cgroup_files.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace runlet::sandbox::cgroupfs {
namespace {

namespace fs = std::filesystem;

class CgroupFiles : public testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "runlet-cgroupfs-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  void Put(const std::string& name, const std::string& content) const {
    std::ofstream(Path(name)) << content;
  }

  fs::path dir_;
};

TEST_F(CgroupFiles, WriteFileReplacesTheStartOfAnExistingFile) {
  Put("memory.max", "");
  ASSERT_TRUE(WriteFile(Path("memory.max"), "268435456").has_value());
  EXPECT_EQ(ReadFile(Path("memory.max")).value(), "268435456");
}

TEST_F(CgroupFiles, WriteFileDoesNotCreateMissingFiles) {
  auto s = WriteFile(Path("pids.max"), "64");
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().sys_errno, ENOENT);
  EXPECT_NE(s.error().message.find(Path("pids.max")), std::string::npos) << s.error().message;
  EXPECT_FALSE(fs::exists(Path("pids.max")));
}

TEST_F(CgroupFiles, WriteFileAndReadFileRefuseToFollowSymlinks) {
  Put("target", "secret");
  fs::create_symlink(Path("target"), Path("link"));
  EXPECT_FALSE(WriteFile(Path("link"), "x").has_value());
  EXPECT_FALSE(ReadFile(Path("link")).has_value());
  EXPECT_EQ(ReadFile(Path("target")).value(), "secret");
}

TEST_F(CgroupFiles, ReadFileReturnsTheWholeContent) {
  std::string big(100000, 'a');
  big += "end";
  Put("big", big);
  EXPECT_EQ(ReadFile(Path("big")).value(), big);
  Put("empty", "");
  EXPECT_EQ(ReadFile(Path("empty")).value(), "");
  auto missing = ReadFile(Path("missing"));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().sys_errno, ENOENT);
}

TEST_F(CgroupFiles, ReadNumberReadsDecimalsAndMax) {
  Put("n", "12345\n");
  EXPECT_EQ(ReadNumber(Path("n")).value(), 12345u);
  Put("big", "18446744073709551615\n");
  EXPECT_EQ(ReadNumber(Path("big")).value(), UINT64_MAX);
  Put("max", "max\n");
  EXPECT_EQ(ReadNumber(Path("max")).value(), UINT64_MAX);
}

TEST_F(CgroupFiles, ReadNumberRefusesGarbage) {
  for (const char* content : {"", "\n", "abc", "-5", " 12", "x12"}) {
    Put("n", content);
    auto n = ReadNumber(Path("n"));
    EXPECT_FALSE(n.has_value()) << '"' << content << "\" read as " << *n;
  }
  EXPECT_FALSE(ReadNumber(Path("missing")).has_value());
}

TEST_F(CgroupFiles, ReadKeyedFindsTheExactKey) {
  Put("cpu.stat", "usage_usec 250000\nuser_usec 200000\nsystem_usec 50000\nnr_periods 7\n");
  EXPECT_EQ(ReadKeyed(Path("cpu.stat"), "usage_usec"), 250000u);
  EXPECT_EQ(ReadKeyed(Path("cpu.stat"), "system_usec"), 50000u);
  EXPECT_EQ(ReadKeyed(Path("cpu.stat"), "nr_periods"), 7u);
  EXPECT_EQ(ReadKeyed(Path("cpu.stat"), "usage"), 0u);  // a prefix is not the key
  EXPECT_EQ(ReadKeyed(Path("cpu.stat"), "sec"), 0u);
  EXPECT_EQ(ReadKeyed(Path("cpu.stat"), "missing"), 0u);
  EXPECT_EQ(ReadKeyed(Path("no-such-file"), "usage_usec"), 0u);
}

TEST_F(CgroupFiles, ReadKeyedReadsALastLineWithoutNewline) {
  Put("memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 3");
  EXPECT_EQ(ReadKeyed(Path("memory.events"), "oom_kill"), 3u);
  EXPECT_EQ(ReadKeyed(Path("memory.events"), "oom"), 1u);
  EXPECT_EQ(ReadKeyed(Path("memory.events"), "max"), 12u);
}

TEST_F(CgroupFiles, ReadPidsReadsOnePidPerLine) {
  Put("cgroup.procs", "1\n42\n31337\n");
  EXPECT_EQ(ReadPids(Path("cgroup.procs")), (std::vector<pid_t>{1, 42, 31337}));
  Put("cgroup.procs", "");
  EXPECT_TRUE(ReadPids(Path("cgroup.procs")).empty());
  Put("cgroup.procs", "7");
  EXPECT_EQ(ReadPids(Path("cgroup.procs")), (std::vector<pid_t>{7}));
  EXPECT_TRUE(ReadPids(Path("missing")).empty());
}

TEST_F(CgroupFiles, ReadPidsStopsAtGarbage) {
  Put("cgroup.procs", "5\n6\nzombie\n7\n");
  EXPECT_EQ(ReadPids(Path("cgroup.procs")), (std::vector<pid_t>{5, 6}));
}

TEST_F(CgroupFiles, MakeDirAcceptsAnExistingDirectory) {
  ASSERT_TRUE(MakeDir(Path("slot-1")).has_value());
  EXPECT_TRUE(fs::is_directory(Path("slot-1")));
  EXPECT_TRUE(MakeDir(Path("slot-1")).has_value());
  auto nested = MakeDir(Path("missing/slot-2"));
  ASSERT_FALSE(nested.has_value());
  EXPECT_EQ(nested.error().sys_errno, ENOENT);
}

TEST_F(CgroupFiles, RemoveDirRemovesAndAcceptsAMissingDirectory) {
  ASSERT_TRUE(MakeDir(Path("slot-1")).has_value());
  EXPECT_TRUE(RemoveDir(Path("slot-1")).has_value());
  EXPECT_FALSE(fs::exists(Path("slot-1")));
  EXPECT_TRUE(RemoveDir(Path("slot-1")).has_value());
}

TEST_F(CgroupFiles, RemoveDirFailsAtOnceOnADirectoryThatIsNotEmpty) {
  ASSERT_TRUE(MakeDir(Path("slot-1")).has_value());
  Put("slot-1/file", "x");
  const auto start = std::chrono::steady_clock::now();
  auto s = RemoveDir(Path("slot-1"));
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().sys_errno, ENOTEMPTY);
  EXPECT_NE(s.error().message.find("rmdir"), std::string::npos) << s.error().message;
  EXPECT_LT(took, std::chrono::milliseconds(100)) << "only EBUSY is worth retrying";
}

TEST_F(CgroupFiles, ListChildrenListsOnlyDirectories) {
  ASSERT_TRUE(MakeDir(Path("slot-1")).has_value());
  ASSERT_TRUE(MakeDir(Path("slot-7")).has_value());
  Put("cgroup.procs", "");
  fs::create_directory_symlink(Path("slot-1"), Path("link"));
  auto names = ListChildren(dir_.string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"slot-1", "slot-7"}));
  EXPECT_TRUE(ListChildren(Path("missing")).empty());
}

}  // namespace
}  // namespace runlet::sandbox::cgroupfs
