// The one way paths inside untrusted trees are opened (core/files.h): never through a
// symlink, never out of the tree. The trees here are hostile in the ways an image can be.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/files.h"

namespace runlet {
namespace {

namespace fs = std::filesystem;

class OpenBeneathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/runlet-beneath-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    base_ = dir;
    root_ = base_ + "/root";
    fs::create_directories(root_ + "/etc");
    std::ofstream(root_ + "/etc/passwd") << "image\n";
    victim_ = base_ + "/victim";
    std::ofstream(victim_) << "host\n";
    ASSERT_EQ(::chmod(victim_.c_str(), 0600), 0);
    fs::create_directories(base_ + "/victim-dir");
    ASSERT_EQ(::chmod((base_ + "/victim-dir").c_str(), 0700), 0);
    fd_ = ::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(fd_, 0);
  }
  void TearDown() override {
    ::close(fd_);
    fs::remove_all(base_);
  }
  void Link(const std::string& rel, const std::string& target) { fs::create_symlink(target, root_ + "/" + rel); }
  unsigned VictimMode() const {
    struct stat st {};
    ::stat(victim_.c_str(), &st);
    return st.st_mode & 07777;
  }

  std::string base_, root_, victim_;
  int fd_ = -1;
};

TEST_F(OpenBeneathTest, OpensPlainPathsBelowTheRoot) {
  auto f = OpenBeneath(fd_, "etc/passwd", O_RDONLY);
  ASSERT_TRUE(f) << f.error().message;
  char buf[16] = {};
  EXPECT_EQ(::read(f->get(), buf, sizeof buf), 6);
  EXPECT_EQ(std::string(buf), "image\n");
  auto st = StatBeneath(fd_, "etc");
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_TRUE(S_ISDIR(st->st_mode));
}

TEST_F(OpenBeneathTest, RefusesASymlinkAnywhereOnThePath) {
  Link("abs", victim_);
  Link("rel", "../victim");
  Link("dir", base_ + "/victim-dir");
  Link("inside", "etc/passwd");  // even one that stays inside
  for (const char* path : {"abs", "rel", "dir/x", "inside"}) {
    auto f = OpenBeneath(fd_, path, O_RDONLY);
    ASSERT_FALSE(f) << path;
    EXPECT_EQ(f.error().sys_errno, ELOOP) << path;
    EXPECT_NE(f.error().message.find("symlink"), std::string::npos) << f.error().message;
  }
  // Creating through a symlinked directory fails too, and nothing appears there.
  auto created = OpenBeneath(fd_, "dir/passwd", O_WRONLY | O_CREAT | O_EXCL, 0644);
  EXPECT_FALSE(created);
  EXPECT_TRUE(fs::is_empty(base_ + "/victim-dir"));
  // A dangling symlink as the last component is not created through either.
  Link("dangling", base_ + "/victim-dir/new");
  EXPECT_FALSE(OpenBeneath(fd_, "dangling", O_WRONLY | O_CREAT, 0644));
  EXPECT_TRUE(fs::is_empty(base_ + "/victim-dir"));
}

TEST_F(OpenBeneathTest, RefusesDotDotAndAbsolutePaths) {
  for (const char* path : {"../victim", "etc/../../victim", "/etc/passwd"}) {
    auto f = OpenBeneath(fd_, path, O_RDONLY);
    ASSERT_FALSE(f) << path;
    EXPECT_EQ(f.error().sys_errno, EXDEV) << path;
  }
}

TEST_F(OpenBeneathTest, StatDescribesALastSymlinkItselfAndRefusesOneOnTheWay) {
  Link("etc/shadow", victim_);
  Link("lib", base_ + "/victim-dir");
  auto link = StatBeneath(fd_, "etc/shadow");
  ASSERT_TRUE(link) << link.error().message;
  EXPECT_TRUE(S_ISLNK(link->st_mode));
  auto through = StatBeneath(fd_, "lib/x");
  ASSERT_FALSE(through);
  EXPECT_EQ(through.error().sys_errno, ELOOP);
}

TEST_F(OpenBeneathTest, MakeDirNeverChmodsWhatASymlinkOfThatNamePointsTo) {
  Link(".runlet", victim_);
  auto made = MakeDirBeneath(fd_, ".runlet", 0755);
  ASSERT_FALSE(made);
  // A symlink is not a directory (O_DIRECTORY | O_NOFOLLOW) nor followed (ELOOP).
  EXPECT_TRUE(made.error().sys_errno == ENOTDIR || made.error().sys_errno == ELOOP) << made.error().message;
  EXPECT_EQ(VictimMode(), 0600u);
  Link("skel", base_ + "/victim-dir");
  EXPECT_FALSE(MakeDirBeneath(fd_, "skel", 0755));
  EXPECT_FALSE(MakeDirBeneath(fd_, "skel/sub", 0755));
  struct stat victim_dir {};
  ASSERT_EQ(::stat((base_ + "/victim-dir").c_str(), &victim_dir), 0);
  EXPECT_EQ(victim_dir.st_mode & 07777, 0700u);
  EXPECT_TRUE(fs::is_empty(base_ + "/victim-dir"));
  // A new directory gets exactly its mode, whatever the umask; an existing one is set.
  const mode_t old_umask = ::umask(077);
  auto tmp = MakeDirBeneath(fd_, "tmp", 01777);
  ::umask(old_umask);
  ASSERT_TRUE(tmp) << tmp.error().message;
  struct stat st {};
  ASSERT_EQ(::fstat(tmp->get(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 01777u);
  auto again = MakeDirBeneath(fd_, "etc", 0700);
  ASSERT_TRUE(again) << again.error().message;
  ASSERT_EQ(::stat((root_ + "/etc").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
}

}  // namespace
}  // namespace runlet
