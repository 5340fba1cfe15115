// MergeLayer: a base tree and an overlayfs upper directory become one plain tree whose
// base files are hard links. The upper directory comes from packages' maintainer
// scripts, so it is hostile: a symlink in the base where the layer has a directory must
// not lead the merge out of the tree.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "image/fs_tree.h"
#include "image/layer_build.h"

namespace runlet::image {
namespace {

namespace fs = std::filesystem;

class MergeLayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::Create(fs::temp_directory_path().string(), "runlet-merge-");
    ASSERT_TRUE(dir) << dir.error().message;
    root_ = dir->Release();
    for (const char* sub : {"base", "upper", "out", "outside"}) fs::create_directories(root_ + "/" + sub);
  }
  void TearDown() override { (void)RemoveTree(root_); }

  std::string Path(const std::string& rel) const { return root_ + "/" + rel; }
  void Write(const std::string& rel, const std::string& text) const {
    fs::create_directories(fs::path(Path(rel)).parent_path());
    std::ofstream(Path(rel)) << text;
  }
  std::string Read(const std::string& rel) const {
    std::ifstream in(Path(rel));
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  Result<MergeStats> Merge() const { return MergeLayer(Path("base"), Path("upper"), Path("out")); }

  std::string root_;
};

TEST_F(MergeLayerTest, LinksTheBaseAndMovesTheLayersFilesOverIt) {
  Write("base/usr/bin/sh", "base shell");
  Write("base/etc/os-release", "bookworm");
  Write("base/etc/motd", "old motd");
  ::chmod(Path("base/etc").c_str(), 0750);
  Write("upper/usr/bin/lua", "lua");
  Write("upper/etc/motd", "new motd");
  auto stats = Merge();
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(Read("out/usr/bin/sh"), "base shell");
  EXPECT_EQ(Read("out/usr/bin/lua"), "lua");
  EXPECT_EQ(Read("out/etc/motd"), "new motd");
  EXPECT_EQ(Read("base/etc/motd"), "old motd") << "the base was written through a link";
  struct stat base_sh {}, out_sh {};
  ASSERT_EQ(::stat(Path("base/usr/bin/sh").c_str(), &base_sh), 0);
  ASSERT_EQ(::stat(Path("out/usr/bin/sh").c_str(), &out_sh), 0);
  EXPECT_EQ(base_sh.st_ino, out_sh.st_ino) << "a base file was copied, not linked";
  // The base directory's mode where the layer did not change it.
  struct stat etc {};
  ASSERT_EQ(::stat(Path("out/etc").c_str(), &etc), 0);
  EXPECT_EQ(etc.st_mode & 07777, 0755u) << "the upper directory's own metadata applies to a directory it holds";
  EXPECT_GE(stats->linked, 3u);
  EXPECT_EQ(stats->moved, 2u);
}

TEST_F(MergeLayerTest, DeletesWhatTheLayersWhiteoutsNameAndReplacesOpaqueDirectories) {
  Write("base/usr/share/doc/a", "a");
  Write("base/usr/share/doc/b", "b");
  Write("base/etc/gone/file", "x");
  Write("base/etc/opaque/old", "old");
  fs::create_directories(Path("upper/usr/share/doc"));
  ASSERT_EQ(::mknod(Path("upper/usr/share/doc/a").c_str(), S_IFCHR | 0000, makedev(0, 0)), 0) << "needs root";
  fs::create_directories(Path("upper/etc"));
  ASSERT_EQ(::mknod(Path("upper/etc/gone").c_str(), S_IFCHR | 0000, makedev(0, 0)), 0);
  Write("upper/etc/opaque/new", "new");
  ASSERT_EQ(::setxattr(Path("upper/etc/opaque").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  auto stats = Merge();
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_FALSE(fs::exists(Path("out/usr/share/doc/a")));
  EXPECT_TRUE(fs::exists(Path("out/usr/share/doc/b")));
  EXPECT_FALSE(fs::exists(Path("out/etc/gone")));
  EXPECT_FALSE(fs::exists(Path("out/etc/opaque/old")));
  EXPECT_EQ(Read("out/etc/opaque/new"), "new");
  EXPECT_TRUE(fs::exists(Path("base/usr/share/doc/a"))) << "a whiteout deleted from the base";
  EXPECT_EQ(stats->whiteouts, 2u);
}

// The base has `etc -> <outside>` (as a hostile image or package could make it), the
// layer has a real directory etc/ with a file: the merge replaces the link with the
// directory and never writes through it.
TEST_F(MergeLayerTest, NeverFollowsASymlinkOfTheBaseWhereTheLayerHasADirectory) {
  Write("outside/passwd", "host's");
  ASSERT_EQ(::symlink(Path("outside").c_str(), Path("base/etc").c_str()), 0);
  ASSERT_EQ(::symlink("../outside", Path("base/rel").c_str()), 0);
  Write("upper/etc/passwd", "layer's");
  Write("upper/rel/passwd", "layer's");
  auto stats = Merge();
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(Read("outside/passwd"), "host's");
  EXPECT_FALSE(fs::exists(Path("outside/rel")));
  EXPECT_FALSE(fs::is_symlink(Path("out/etc")));
  EXPECT_EQ(Read("out/etc/passwd"), "layer's");
  EXPECT_EQ(Read("out/rel/passwd"), "layer's");
  EXPECT_EQ(fs::read_symlink(Path("base/etc")), Path("outside")) << "the base changed";
}

// A symlink of the base that the layer does not touch stays a symlink (linked, not
// followed: the tree never holds the files it points at).
TEST_F(MergeLayerTest, KeepsTheBasesSymlinksAsSymlinks) {
  Write("outside/secret", "host's");
  ASSERT_EQ(::symlink(Path("outside").c_str(), Path("base/link").c_str()), 0);
  auto stats = Merge();
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_TRUE(fs::is_symlink(Path("out/link")));
  EXPECT_FALSE(fs::exists(Path("out/secret")));
}

TEST(InstallLayer, RefusesBadPackageNamesAndOverlayOptionSeparatorsBeforeRunningAnything) {
  LayerInstallSpec spec;
  spec.base_rootfs = "/nonexistent/base";
  spec.upper = spec.work = spec.merged = spec.debs = "/nonexistent/x";
  spec.packages = {"lua5.4", "--allow-unauthenticated"};
  auto s = InstallLayer(spec, [](std::string_view) {});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("package \"--allow-unauthenticated\""), std::string::npos) << s.error().message;
  spec.packages = {"lua5.4"};
  spec.upper = "/nonexistent/a,lowerdir=/";
  s = InstallLayer(spec, [](std::string_view) {});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("','"), std::string::npos) << s.error().message;
  spec.upper = "/nonexistent/x";
  spec.packages = {};
  s = InstallLayer(spec, [](std::string_view) {});
  ASSERT_FALSE(s);
}

}  // namespace
}  // namespace runlet::image
