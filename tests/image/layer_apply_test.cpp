// ApplyLayer against hostile layers: every escape is refused or contained, and the host
// around the root file system stays as it was.
#include "image/layer_apply.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/unique_fd.h"
#include "image/image_archive.h"
#include "test_tar.h"

namespace runlet::image {
namespace {

using testing::Exists;
using testing::ListDir;
using testing::ReadFile;
using testing::ScratchDir;
using testing::TarBuilder;

// A root being assembled at <scratch>/rootfs, and a "host" directory <scratch>/outside
// holding a file that no layer may touch.
class LayerApply : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::mkdir(rootfs().c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(outside().c_str(), 0755), 0);
    testing::WriteFile(host_file(), "host data\n");
    root_.Reset(::open(rootfs().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root_.valid());
  }

  std::string rootfs() const { return scratch_ / "rootfs"; }
  std::string outside() const { return scratch_ / "outside"; }
  std::string host_file() const { return scratch_ / "outside/host.txt"; }
  std::string in_root(const std::string& rel) const { return rootfs() + "/" + rel; }

  Status Apply(const TarBuilder& layer, bool gzip = false) {
    const std::string file = scratch_ / ("layer" + std::to_string(layers_++) + ".tar");
    layer.WriteTo(file, gzip);
    return ApplyLayer(root_.get(), file, limits_, stats_);
  }

  // The host side is exactly as SetUp left it.
  void ExpectHostUntouched() {
    EXPECT_EQ(ListDir(outside()), std::vector<std::string>{"host.txt"});
    EXPECT_EQ(ReadFile(host_file()), "host data\n");
    struct stat st {};
    ASSERT_EQ(::stat(host_file().c_str(), &st), 0);
    EXPECT_EQ(st.st_nlink, 1u);
    EXPECT_EQ(ListDir(scratch_.path()).size(), static_cast<size_t>(2 + layers_));  // rootfs, outside, layers
  }

  ScratchDir scratch_;
  UniqueFd root_;
  ExtractLimits limits_;
  ExtractStats stats_;
  int layers_ = 0;
};

TEST_F(LayerApply, UnpacksFilesDirectoriesSymlinksAndHardLinks) {
  auto s = Apply(TarBuilder()
                     .Dir("./usr/", 0755)
                     .Dir("usr/bin", 0755)
                     .File("usr/bin/tool", "#!/bin/sh\n", 0755, 1000, 1001)
                     .File("etc/deep/missing/parents.conf", "x")
                     .Symlink("bin", "usr/bin")
                     .Symlink("etc/abs", "/usr/bin/tool")
                     .HardLink("usr/bin/tool2", "usr/bin/tool"),
                 /*gzip=*/true);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(ReadFile(in_root("usr/bin/tool")), "#!/bin/sh\n");
  EXPECT_EQ(ReadFile(in_root("etc/deep/missing/parents.conf")), "x");
  struct stat st {};
  ASSERT_EQ(::lstat(in_root("usr/bin/tool").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(st.st_nlink, 2u);
  if (::geteuid() == 0) {
    EXPECT_EQ(st.st_uid, 1000u);
    EXPECT_EQ(st.st_gid, 1001u);
  }
  EXPECT_EQ(st.st_mtim.tv_sec, 1700000000);
  char target[64] = {};
  ASSERT_GT(::readlink(in_root("bin").c_str(), target, sizeof target - 1), 0);
  EXPECT_STREQ(target, "usr/bin");
  // Absolute symlink targets are stored as they are: inside a sandbox they resolve
  // against the sandbox's root.
  ASSERT_GT(::readlink(in_root("etc/abs").c_str(), target, sizeof target - 1), 0);
  EXPECT_STREQ(target, "/usr/bin/tool");
  ExpectHostUntouched();
}

TEST_F(LayerApply, RefusesAbsolutePaths) {
  auto s = Apply(TarBuilder().File(host_file(), "pwned").File(outside() + "/new", "pwned"));
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("absolute path"), std::string::npos) << s.error().message;
  ExpectHostUntouched();
}

TEST_F(LayerApply, RefusesDotDotEscapes) {
  for (const char* path : {"../outside/new", "a/../../outside/new", "./../outside/host.txt", ".."}) {
    auto s = Apply(TarBuilder().File(path, "pwned"));
    ASSERT_FALSE(s) << path;
    EXPECT_NE(s.error().message.find("\"..\""), std::string::npos) << s.error().message;
  }
  ExpectHostUntouched();
}

TEST_F(LayerApply, RefusesWritingThroughASymlinkInTheSameLayer) {
  auto s = Apply(TarBuilder().Symlink("evil", outside()).File("evil/new", "pwned"));
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("symlink"), std::string::npos) << s.error().message;
  ExpectHostUntouched();
}

TEST_F(LayerApply, RefusesWritingThroughASymlinkFromALowerLayer) {
  ASSERT_TRUE(Apply(TarBuilder().Symlink("evil", "../outside").Symlink("etc", outside())));
  for (const char* path : {"evil/new", "etc/host.txt", "etc/sub/new"}) {
    auto s = Apply(TarBuilder().File(path, "pwned"));
    ASSERT_FALSE(s) << path;
    EXPECT_NE(s.error().message.find("symlink"), std::string::npos) << s.error().message;
  }
  auto dir = Apply(TarBuilder().Dir("evil/newdir"));
  ASSERT_FALSE(dir);
  ExpectHostUntouched();
}

TEST_F(LayerApply, ReplacesASymlinkInsteadOfWritingThroughIt) {
  ASSERT_TRUE(Apply(TarBuilder().Symlink("victim", host_file()).Symlink("victimdir", outside())));
  auto s = Apply(TarBuilder().File("victim", "layer data").Dir("victimdir"));
  ASSERT_TRUE(s) << s.error().message;
  struct stat st {};
  ASSERT_EQ(::lstat(in_root("victim").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(ReadFile(in_root("victim")), "layer data");
  ASSERT_EQ(::lstat(in_root("victimdir").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  ExpectHostUntouched();
}

TEST_F(LayerApply, ReplacesAHardLinkInsteadOfWritingThroughIt) {
  ASSERT_TRUE(Apply(TarBuilder().File("a", "original").HardLink("b", "a")));
  ASSERT_TRUE(Apply(TarBuilder().File("b", "replaced")));
  EXPECT_EQ(ReadFile(in_root("a")), "original");
  EXPECT_EQ(ReadFile(in_root("b")), "replaced");
}

TEST_F(LayerApply, RefusesHardLinksToHostFiles) {
  struct stat before {};
  const bool have_shadow = ::stat("/etc/shadow", &before) == 0;
  ASSERT_TRUE(Apply(TarBuilder().Symlink("etc", "/etc").Symlink("out", outside())));
  const std::pair<const char*, const char*> cases[] = {
      {"shadow", "/etc/shadow"},
      {"shadow2", "../../../../../../../../etc/shadow"},
      {"shadow3", "etc/shadow"},  // through a symlink to the host's /etc
      {"host", "out/host.txt"},
  };
  for (auto [path, target] : cases) {
    auto s = Apply(TarBuilder().HardLink(path, target));
    ASSERT_FALSE(s) << path << " -> " << target;
    EXPECT_NE(s.error().message.find("hard link"), std::string::npos) << s.error().message;
    EXPECT_FALSE(Exists(in_root(path)));
  }
  if (have_shadow) {
    struct stat after {};
    ASSERT_EQ(::stat("/etc/shadow", &after), 0);
    EXPECT_EQ(after.st_nlink, before.st_nlink);
  }
  ExpectHostUntouched();
}

TEST_F(LayerApply, HardLinkToASymlinkLinksTheSymlinkItself) {
  auto s = Apply(TarBuilder().Symlink("link", host_file()).HardLink("hard", "link"));
  ASSERT_TRUE(s) << s.error().message;
  struct stat st {};
  ASSERT_EQ(::lstat(in_root("hard").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  ExpectHostUntouched();
}

TEST_F(LayerApply, SkipsDeviceNodesAndFifos) {
  auto s = Apply(TarBuilder()
                     .CharDevice("dev/mem", 1, 1)
                     .CharDevice("null", 1, 3)
                     .BlockDevice("sda", 8, 0)
                     .Fifo("fifo")
                     .File("ok", "fine"));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(stats_.skipped_special, 4u);
  EXPECT_FALSE(Exists(in_root("dev/mem")));
  EXPECT_FALSE(Exists(in_root("null")));
  EXPECT_FALSE(Exists(in_root("sda")));
  EXPECT_FALSE(Exists(in_root("fifo")));
  EXPECT_TRUE(Exists(in_root("ok")));
}

TEST_F(LayerApply, StripsSetuidAndSetgidBits) {
  auto s = Apply(TarBuilder().File("suid", "x", 04755).File("sgid", "x", 02755).Dir("gdir", 02775).Dir("tmp", 01777));
  ASSERT_TRUE(s) << s.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(in_root("suid").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  ASSERT_EQ(::stat(in_root("sgid").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  ASSERT_EQ(::stat(in_root("gdir").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0775u);
  ASSERT_EQ(::stat(in_root("tmp").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 01777u);  // the sticky bit on directories stays
  EXPECT_EQ(stats_.stripped_setid, 3u);
}

TEST_F(LayerApply, RefusesAFileBeyondTheSizeLimit) {
  limits_.max_bytes = 1 << 20;
  ASSERT_TRUE(Apply(TarBuilder().File("small", std::string(600 << 10, 'a'))));
  auto s = Apply(TarBuilder().File("big", std::string(600 << 10, 'b')));
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("limit"), std::string::npos) << s.error().message;
  EXPECT_FALSE(Exists(in_root("big")));  // refused before anything was written
}

TEST_F(LayerApply, RefusesAHugeDeclaredSizeBeforeWriting) {
  const std::string file = scratch_ / "huge.tar";
  testing::WriteTarDeclaringSize(file, "huge", uint64_t{100} << 30);  // claims 100 GiB
  auto s = ApplyLayer(root_.get(), file, ExtractLimits{}, stats_);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("8.0 GiB"), std::string::npos) << s.error().message;
  EXPECT_FALSE(Exists(in_root("huge")));
}

TEST_F(LayerApply, RefusesTooManyEntries) {
  limits_.max_entries = 10;
  TarBuilder layer;
  for (int i = 0; i < 20; ++i) layer.File("f" + std::to_string(i), "x");
  auto s = Apply(layer);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("more than 10 entries"), std::string::npos) << s.error().message;
}

TEST_F(LayerApply, AppliesWhiteoutsAndOpaqueDirectories) {
  ASSERT_TRUE(Apply(TarBuilder()
                        .File("a/b", "lower")
                        .File("a/c", "lower")
                        .File("d/e", "lower")
                        .File("d/sub/f", "lower")
                        .Symlink("g", "a")
                        .File("h", "lower")));
  auto s = Apply(TarBuilder()
                     .File("a/.wh.b", "")
                     .File("d/new", "upper")  // before the opaque marker, still kept
                     .File("d/.wh..wh..opq", "")
                     .File("d/newer", "upper")
                     .File(".wh.g", "")
                     .File(".wh.h", "")
                     .File("h", "upper")  // same layer: recreated after its whiteout
                     .File(".wh.nonexistent", "")
                     .File("missing/.wh.x", "")
                     .File("a/.wh..wh.plnk", ""));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(ListDir(in_root("a")), std::vector<std::string>{"c"});
  EXPECT_EQ(ListDir(in_root("d")), (std::vector<std::string>{"new", "newer"}));
  EXPECT_FALSE(Exists(in_root("g")));
  EXPECT_EQ(ReadFile(in_root("h")), "upper");
  EXPECT_FALSE(Exists(in_root("missing/.wh.x")));
  EXPECT_EQ(ListDir(rootfs()), (std::vector<std::string>{"a", "d", "h"}));
}

TEST_F(LayerApply, WhiteoutsCannotReachOutside) {
  for (const char* path : {"../outside/.wh.host.txt", ".wh..", "../.wh.outside", "/.wh.etc"}) {
    auto s = Apply(TarBuilder().File(path, ""));
    EXPECT_FALSE(s) << path;
  }
  ASSERT_TRUE(Apply(TarBuilder().Symlink("link", outside())));
  EXPECT_FALSE(Apply(TarBuilder().File("link/.wh.host.txt", "")));
  EXPECT_FALSE(Apply(TarBuilder().File("link/.wh..wh..opq", "")));
  ExpectHostUntouched();
}

TEST_F(LayerApply, RefusesPathsNestedTooDeep) {
  std::string deep;
  for (int i = 0; i < 300; ++i) deep += "d/";
  auto s = Apply(TarBuilder().File(deep + "f", "x"));
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("deeper than 256"), std::string::npos) << s.error().message;
  EXPECT_FALSE(Exists(in_root("d")));
}

TEST_F(LayerApply, RefusesGarbage) {
  const std::string file = scratch_ / "garbage.tar";
  testing::WriteFile(file, std::string(4096, '\x7f'));
  ++layers_;
  auto s = ApplyLayer(root_.get(), file, limits_, stats_);
  ASSERT_FALSE(s);
  ExpectHostUntouched();
}

// A gzip stream that libarchive fails to open without an error message (found by
// fuzz/layer_fuzz.cpp): a null message once crashed both readers.
TEST_F(LayerApply, RefusesALayerThatFailsWithoutAMessage) {
  const std::string file = RUNLET_FUZZ_REGRESSIONS "/layer/open-without-error-message.tar.gz";
  auto s = ApplyLayer(root_.get(), file, limits_, stats_);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("open layer: "), std::string::npos) << s.error().message;
  ASSERT_EQ(::mkdir((scratch_ / "unpacked").c_str(), 0700), 0);
  auto archive = UnpackImageArchive(file, scratch_ / "unpacked", limits_);
  ASSERT_FALSE(archive);
  EXPECT_NE(archive.error().message.find("open: "), std::string::npos) << archive.error().message;
}

}  // namespace
}  // namespace runlet::image
