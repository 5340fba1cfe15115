// End to end through the runlet binary: import a tiny hand-made image (one static
// program), list it, run it in the native sandbox, export it, remove it. Fast enough for
// CI; building a real Debian image takes minutes and is checked by hand.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <memory>

#include "test_tar.h"

namespace runlet::image {
namespace {

using testing::Exists;
using testing::ReadFile;
using testing::ScratchDir;
using testing::TarBuilder;

struct Output {
  int status = -1;
  std::string text;  // stdout and stderr
};

Output Shell(const std::string& command) {
  Output out;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen((command + " 2>&1").c_str(), "r"), ::pclose);
  if (!pipe) return out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe.get())) > 0) out.text.append(buf.data(), n);
  int status = ::pclose(pipe.release());
  out.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return out;
}

TEST(ImageCli, ImportsListsRunsExportsAndRemovesATinyImage) {
  ScratchDir dir;
  const std::string runlet = std::string(RUNLET_BIN) + " ";
  const std::string data = " --data " + dir / "data";

  const std::string layer = dir / "layer.tar";
  TarBuilder()
      .Dir("usr")
      .Dir("usr/bin")
      .File("usr/bin/hello", ReadFile(RUNLET_IMAGE_HELLO), 0755)
      .File("etc/passwd", "root:x:0:0:root:/root:/bin/false\n")
      .File("etc/group", "root:x:0:\n")
      .WriteTo(layer);
  const std::string layer_bytes = ReadFile(layer);
  const std::string manifest = R"([{"Config":"c.json","RepoTags":["tiny:latest"],"Layers":["l1/layer.tar"]}])";
  const std::string archive = dir / "tiny.tar";
  TarBuilder().File("c.json", "{}").File("l1/layer.tar", layer_bytes).File("manifest.json", manifest).WriteTo(archive);

  Output imported = Shell(runlet + "image import tiny " + archive + data);
  ASSERT_EQ(imported.status, 0) << imported.text;
  EXPECT_NE(imported.text.find("imported tiny sha256:"), std::string::npos) << imported.text;

  Output listed = Shell(runlet + "image ls --json" + data);
  ASSERT_EQ(listed.status, 0) << listed.text;
  EXPECT_NE(listed.text.find(R"("name":"host")"), std::string::npos) << listed.text;
  EXPECT_NE(listed.text.find(R"("name":"tiny")"), std::string::npos) << listed.text;
  const size_t at = listed.text.find(R"("rootfs":")", listed.text.find(R"("name":"tiny")"));
  ASSERT_NE(at, std::string::npos);
  const size_t start = at + 10;
  const std::string rootfs = listed.text.substr(start, listed.text.find('"', start) - start);
  ASSERT_TRUE(Exists(rootfs + "/usr/bin/hello")) << rootfs;

  Output ran = Shell(runlet + "exec --rootfs " + rootfs + " -- /usr/bin/hello");
  ASSERT_EQ(ran.status, 0) << ran.text;
  EXPECT_NE(ran.text.find("hello from a runlet image"), std::string::npos) << ran.text;

  const std::string exported = dir / "tiny-export.tar";
  Output exp = Shell(runlet + "image export tiny " + exported + data);
  ASSERT_EQ(exp.status, 0) << exp.text;
  EXPECT_TRUE(Exists(exported));

  Output removed = Shell(runlet + "image rm tiny" + data);
  ASSERT_EQ(removed.status, 0) << removed.text;
  EXPECT_FALSE(Exists(rootfs));
  Output missing = Shell(runlet + "image rm tiny" + data);
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.text.find("not found"), std::string::npos) << missing.text;
}

// An image whose .runlet and mount points are symlinks to host places, imported and run
// through the real binary: the root supervisor changes nothing on the host. Before, the
// import kept the .runlet symlink and the first run chmodded its target (a 0600 file
// became 0755).
TEST(ImageCli, AnImageWithRunletsNamesSymlinkedToTheHostChangesNothingThere) {
  ScratchDir dir;
  const std::string runlet = std::string(RUNLET_BIN) + " ";
  const std::string data = " --data " + dir / "data";
  const std::string victim = dir / "victim";
  testing::WriteFile(victim, "host secret\n");
  ASSERT_EQ(::chmod(victim.c_str(), 0600), 0);
  const std::string victim_dir = dir / "victim-dir";
  ASSERT_EQ(::mkdir(victim_dir.c_str(), 0700), 0);
  struct stat before {}, before_dir {};
  ASSERT_EQ(::stat(victim.c_str(), &before), 0);
  ASSERT_EQ(::stat(victim_dir.c_str(), &before_dir), 0);

  const std::string layer = dir / "layer.tar";
  TarBuilder()
      .Dir("usr")
      .Dir("usr/bin")
      .File("usr/bin/hello", ReadFile(RUNLET_IMAGE_HELLO), 0755)
      .File("etc/passwd", "root:x:0:0:root:/root:/bin/false\n")
      .File("etc/group", "root:x:0:\n")
      .Symlink(".runlet", victim)
      .Symlink("tmp", victim_dir)
      .Symlink("work", victim_dir)
      .Symlink("dev", victim_dir)
      .WriteTo(layer);
  const std::string manifest = R"([{"Config":"c.json","RepoTags":["evil:latest"],"Layers":["l1/layer.tar"]}])";
  const std::string archive = dir / "evil.tar";
  TarBuilder().File("c.json", "{}").File("l1/layer.tar", ReadFile(layer)).File("manifest.json", manifest).WriteTo(archive);
  Output imported = Shell(runlet + "image import evil " + archive + data);
  ASSERT_EQ(imported.status, 0) << imported.text;
  EXPECT_NE(imported.text.find("replaced 4 top-level entries"), std::string::npos) << imported.text;

  Output listed = Shell(runlet + "image ls --json" + data);
  const size_t at = listed.text.find(R"("rootfs":")", listed.text.find(R"("name":"evil")"));
  ASSERT_NE(at, std::string::npos) << listed.text;
  const std::string rootfs = listed.text.substr(at + 10, listed.text.find('"', at + 10) - at - 10);
  Output ran = Shell(runlet + "exec --rootfs " + rootfs + " -- /usr/bin/hello");
  EXPECT_EQ(ran.status, 0) << ran.text;
  EXPECT_NE(ran.text.find("hello from a runlet image"), std::string::npos) << ran.text;

  struct stat after {}, after_dir {};
  ASSERT_EQ(::stat(victim.c_str(), &after), 0);
  ASSERT_EQ(::stat(victim_dir.c_str(), &after_dir), 0);
  EXPECT_EQ(after.st_mode & 07777, 0600u);
  EXPECT_EQ(after.st_ctim.tv_sec, before.st_ctim.tv_sec);
  EXPECT_EQ(after.st_ctim.tv_nsec, before.st_ctim.tv_nsec);
  EXPECT_EQ(ReadFile(victim), "host secret\n");
  EXPECT_EQ(after_dir.st_mode & 07777, 0700u);
  EXPECT_EQ(after_dir.st_ctim.tv_nsec, before_dir.st_ctim.tv_nsec);
  EXPECT_EQ(testing::ListDir(victim_dir), std::vector<std::string>{});
}

TEST(ImageCli, RefusesAHostileArchiveWithAClearMessage) {
  ScratchDir dir;
  const std::string layer = dir / "layer.tar";
  TarBuilder().File("../../escape", "x").WriteTo(layer);
  const std::string archive = dir / "evil.tar";
  TarBuilder()
      .File("l1/layer.tar", ReadFile(layer))
      .File("manifest.json", R"([{"Config":"c.json","Layers":["l1/layer.tar"]}])")
      .WriteTo(archive);
  Output out = Shell(std::string(RUNLET_BIN) + " image import evil " + archive + " --data " + dir / "data");
  EXPECT_EQ(out.status, 1) << out.text;
  EXPECT_NE(out.text.find("runlet image import: import evil: layer 1/1 l1/layer.tar: entry \"../../escape\": \"..\" in path"),
            std::string::npos)
      << out.text;
  EXPECT_FALSE(Exists(dir / "escape"));
}

}  // namespace
}  // namespace runlet::image
