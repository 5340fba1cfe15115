#include "image/tree_digest.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_tar.h"

namespace runlet::image {
namespace {

using testing::ScratchDir;
using testing::WriteFile;

void MakeTree(const std::string& root) {
  ASSERT_EQ(::mkdir(root.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((root + "/usr").c_str(), 0755), 0);
  WriteFile(root + "/usr/a", "alpha");
  WriteFile(root + "/usr/b", "beta");
  ASSERT_EQ(::symlink("usr", (root + "/link").c_str()), 0);
  ASSERT_EQ(::chmod((root + "/usr/a").c_str(), 0644), 0);
  ASSERT_EQ(::chmod((root + "/usr/b").c_str(), 0644), 0);
}

std::string Digest(const std::string& root) {
  auto d = DigestTree(root);
  EXPECT_TRUE(d) << (d ? "" : d.error().message);
  return d ? d->digest : "";
}

TEST(TreeDigest, IsTheSameForTheSameTreeWrittenAtDifferentTimes) {
  ScratchDir dir;
  MakeTree(dir / "one");
  ::usleep(20000);
  MakeTree(dir / "two");
  const std::string one = Digest(dir / "one");
  EXPECT_EQ(one.rfind("sha256:", 0), 0u);
  EXPECT_EQ(one.size(), 7u + 64u);
  EXPECT_EQ(one, Digest(dir / "two"));
}

TEST(TreeDigest, ChangesWithContentModeOwnerSymlinkTargetAndNames) {
  ScratchDir dir;
  MakeTree(dir / "t");
  const std::string base = Digest(dir / "t");

  WriteFile(dir / "t/usr/a", "alphA");
  const std::string content = Digest(dir / "t");
  EXPECT_NE(content, base);
  WriteFile(dir / "t/usr/a", "alpha");
  EXPECT_EQ(Digest(dir / "t"), base);

  ASSERT_EQ(::chmod((dir / "t/usr/a").c_str(), 0755), 0);
  EXPECT_NE(Digest(dir / "t"), base);
  ASSERT_EQ(::chmod((dir / "t/usr/a").c_str(), 0644), 0);

  if (::geteuid() == 0) {
    ASSERT_EQ(::lchown((dir / "t/usr/a").c_str(), 1, 1), 0);
    EXPECT_NE(Digest(dir / "t"), base);
    ASSERT_EQ(::lchown((dir / "t/usr/a").c_str(), 0, 0), 0);
  }

  ASSERT_EQ(::unlink((dir / "t/link").c_str()), 0);
  ASSERT_EQ(::symlink("usr/", (dir / "t/link").c_str()), 0);
  EXPECT_NE(Digest(dir / "t"), base);
  ASSERT_EQ(::unlink((dir / "t/link").c_str()), 0);
  ASSERT_EQ(::symlink("usr", (dir / "t/link").c_str()), 0);
  EXPECT_EQ(Digest(dir / "t"), base);

  ASSERT_EQ(::rename((dir / "t/usr/b").c_str(), (dir / "t/usr/c").c_str()), 0);
  EXPECT_NE(Digest(dir / "t"), base);
}

TEST(TreeDigest, CountsEntriesAndSize) {
  ScratchDir dir;
  MakeTree(dir / "t");
  auto d = DigestTree(dir / "t");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->entries, 4u);  // usr, usr/a, usr/b, link
  EXPECT_GT(d->size_bytes, 0u);
}

}  // namespace
}  // namespace runlet::image
