#include "image/tree_sanitize.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "test_tar.h"

namespace runlet::image {
namespace {

using testing::Exists;
using testing::ScratchDir;

TEST(TreeSanitize, RemovesSpecialFilesAndStripsSetidBits) {
  ScratchDir dir;
  const std::string root = dir / "root";
  ASSERT_EQ(::mkdir(root.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((root + "/dev").c_str(), 0755), 0);
  ASSERT_EQ(::mkfifo((root + "/dev/fifo").c_str(), 0644), 0);
  const bool root_user = ::geteuid() == 0;
  if (root_user) {
    ASSERT_EQ(::mknod((root + "/dev/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  }
  testing::WriteFile(root + "/su", "x");
  ASSERT_EQ(::chmod((root + "/su").c_str(), 04755), 0);
  ASSERT_EQ(::mkdir((root + "/shared").c_str(), 0775), 0);
  ASSERT_EQ(::chmod((root + "/shared").c_str(), 02775), 0);
  ASSERT_EQ(::symlink("/dev/null", (root + "/link").c_str()), 0);

  auto stats = SanitizeTree(root);
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(stats->removed_special, root_user ? 2u : 1u);
  EXPECT_EQ(stats->stripped_setid, 2u);
  EXPECT_FALSE(Exists(root + "/dev/fifo"));
  EXPECT_FALSE(Exists(root + "/dev/null"));
  EXPECT_TRUE(Exists(root + "/link"));
  struct stat st {};
  ASSERT_EQ(::stat((root + "/su").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  ASSERT_EQ(::stat((root + "/shared").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0775u);
}

}  // namespace
}  // namespace runlet::image
