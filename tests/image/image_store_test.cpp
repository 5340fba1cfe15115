// ImageStore: importing OCI layouts and docker-save archives built here, naming, removal,
// export, and what a failed import leaves behind (nothing).
#include "image/image_store.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <set>

#include "test_tar.h"

namespace runlet::image {
namespace {

using testing::Exists;
using testing::ListDir;
using testing::ReadFile;
using testing::ScratchDir;
using testing::Sha256Hex;
using testing::TarBuilder;

void Quiet(std::string_view) {}

struct Layer {
  TarBuilder tar;
  bool gzip = false;
};

TarBuilder LowerLayer() {
  return TarBuilder()
      .Dir("usr")
      .Dir("usr/bin")
      .File("usr/bin/hello", "#!/bin/sh\necho hello\n", 0755)
      .File("etc/os-release", "ID=tiny\n")
      .File("old/file", "to be deleted")
      .Symlink("bin", "usr/bin");
}

TarBuilder UpperLayer() {
  return TarBuilder().File("old/.wh.file", "").File("etc/new", "from layer 2\n").File("etc/os-release", "ID=tiny2\n");
}

class ImageStoreTest : public ::testing::Test {
 protected:
  ImageStoreTest() : store_(scratch_ / "data") {}

  std::string WriteLayer(const Layer& layer, int index) {
    const std::string file = scratch_ / ("layer-" + std::to_string(index) + (layer.gzip ? ".tar.gz" : ".tar"));
    layer.tar.WriteTo(file, layer.gzip);
    return ReadFile(file);
  }

  // An OCI image layout tarball. With `corrupt`, the first layer's bytes do not match
  // its digest.
  std::string MakeOci(const std::vector<Layer>& layers, bool corrupt = false) {
    TarBuilder outer;
    outer.File("oci-layout", R"({"imageLayoutVersion":"1.0.0"})").Dir("blobs").Dir("blobs/sha256");
    std::string layer_descriptors;
    std::string diff_ids;
    for (size_t i = 0; i < layers.size(); ++i) {
      std::string bytes = WriteLayer(layers[i], static_cast<int>(i));
      const std::string hex = Sha256Hex(bytes);
      if (corrupt && i == 0) bytes[bytes.size() / 2] ^= 1;
      outer.File("blobs/sha256/" + hex, bytes);
      if (i) layer_descriptors += ",";
      if (i) diff_ids += ",";
      layer_descriptors += std::string(R"({"mediaType":"application/vnd.oci.image.layer.v1.tar)") +
                           (layers[i].gzip ? "+gzip" : "") + R"(","digest":"sha256:)" + hex +
                           R"(","size":)" + std::to_string(bytes.size()) + "}";
      diff_ids += "\"sha256:" + hex + "\"";
    }
    const std::string config =
        R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[)" + diff_ids + "]}}";
    const std::string config_hex = Sha256Hex(config);
    outer.File("blobs/sha256/" + config_hex, config);
    const std::string manifest =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:)" +
        config_hex + R"(","size":)" + std::to_string(config.size()) + R"(},"layers":[)" + layer_descriptors + "]}";
    const std::string manifest_hex = Sha256Hex(manifest);
    outer.File("blobs/sha256/" + manifest_hex, manifest);
    outer.File("index.json",
               R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:)" +
                   manifest_hex + R"(","size":)" + std::to_string(manifest.size()) +
                   R"(,"platform":{"architecture":"amd64","os":"linux"}}]})");
    const std::string file = scratch_ / ("oci-" + std::to_string(archives_++) + ".tar");
    outer.WriteTo(file);
    return file;
  }

  // A `docker save` archive; the last layer is reached through a symlink, as docker
  // does for layers shared between images.
  std::string MakeDockerSave(const std::vector<Layer>& layers) {
    TarBuilder outer;
    std::string paths;
    for (size_t i = 0; i < layers.size(); ++i) {
      const std::string id = Sha256Hex("layer" + std::to_string(i));
      std::string bytes = WriteLayer(layers[i], static_cast<int>(i));
      outer.Dir(id).File(id + "/VERSION", "1.0").File(id + "/json", "{}");
      if (i + 1 == layers.size() && i > 0) {
        outer.Dir("shared").File("shared/layer.tar", bytes).Symlink(id + "/layer.tar", "../shared/layer.tar");
      } else {
        outer.File(id + "/layer.tar", bytes);
      }
      if (i) paths += ",";
      paths += "\"" + id + "/layer.tar\"";
    }
    outer.File("cafe.json", R"({"architecture":"amd64","os":"linux"})");
    outer.File("manifest.json", R"([{"Config":"cafe.json","RepoTags":["tiny:latest"],"Layers":[)" + paths + "]}]");
    outer.File("repositories", R"({"tiny":{"latest":"cafe"}})");
    const std::string file = scratch_ / ("save-" + std::to_string(archives_++) + ".tar");
    outer.WriteTo(file);
    return file;
  }

  std::string images() const { return scratch_ / "data/images"; }

  void ExpectNothingHalfDone() {
    EXPECT_EQ(ListDir(images() + "/tmp"), std::vector<std::string>{});
  }

  ScratchDir scratch_;
  ImageStore store_;
  int archives_ = 0;
};

TEST_F(ImageStoreTest, ImportsAnOciLayoutWithTwoLayers) {
  auto info = store_.Import("tiny", MakeOci({{LowerLayer(), true}, {UpperLayer(), false}}), Quiet);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->name, "tiny");
  EXPECT_EQ(info->digest.rfind("sha256:", 0), 0u);
  EXPECT_EQ(info->rootfs, images() + "/blobs/sha256/" + info->digest.substr(7) + "/rootfs");
  EXPECT_NE(info->source.find("oci, 2 layers"), std::string::npos) << info->source;
  EXPECT_GT(info->size_bytes, 0u);
  EXPECT_EQ(info->created.size(), 20u);  // 2024-01-01T00:00:00Z

  const std::string& r = info->rootfs;
  EXPECT_EQ(ReadFile(r + "/usr/bin/hello"), "#!/bin/sh\necho hello\n");
  EXPECT_EQ(ReadFile(r + "/etc/os-release"), "ID=tiny2\n");
  EXPECT_EQ(ReadFile(r + "/etc/new"), "from layer 2\n");
  EXPECT_FALSE(Exists(r + "/old/file"));
  EXPECT_TRUE(Exists(r + "/old"));
  struct stat st {};
  ASSERT_EQ(::stat((r + "/tmp").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 01777u);
  EXPECT_TRUE(Exists(r + "/work"));

  auto resolved = store_.Resolve("tiny");
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->digest, info->digest);
  EXPECT_EQ(resolved->source, info->source);
  auto all = store_.List();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "host");
  EXPECT_EQ(all[1].name, "tiny");
  ExpectNothingHalfDone();
}

// The names Runlet provides itself at the top of every root: an image's own .runlet (a
// symlink to a host file here, which the sandbox's supervisor would have chmodded and
// written through) is dropped, and mount points that are not directories (a symlink to
// the host, a file, a dangling link) become empty directories. The rest stays as it was.
TEST_F(ImageStoreTest, ImportReplacesTheTopLevelNamesRunletOwns) {
  TarBuilder hostile = LowerLayer();
  hostile.Symlink(".runlet", "/etc/shadow")
      .Symlink("tmp", "/root")
      .File("work", "not a directory")
      .Symlink("proc", "../../../../proc")
      .Symlink("dev", "/nonexistent")
      .Symlink("srv", "/etc");
  std::vector<std::string> notes;
  auto info = store_.Import("hostile", MakeOci({{hostile, false}}), [&](std::string_view line) { notes.emplace_back(line); });
  ASSERT_TRUE(info) << info.error().message;
  const std::string& r = info->rootfs;
  struct stat st {};
  EXPECT_NE(::lstat((r + "/.runlet").c_str(), &st), 0) << ".runlet kept";
  for (const auto& [name, mode] : {std::pair{"tmp", 01777u}, {"work", 0755u}, {"proc", 0555u}, {"dev", 0755u}}) {
    ASSERT_EQ(::lstat((r + "/" + name).c_str(), &st), 0) << name;
    EXPECT_TRUE(S_ISDIR(st.st_mode)) << name << " is not a directory";
    EXPECT_EQ(st.st_mode & 07777, mode) << name;
    EXPECT_EQ(ListDir(r + "/" + name), std::vector<std::string>{}) << name;
  }
  // Other names are the image's business: symlinks inside resolve inside the sandbox.
  ASSERT_EQ(::lstat((r + "/srv").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(ReadFile(r + "/usr/bin/hello"), "#!/bin/sh\necho hello\n");
  bool said = false;
  for (const auto& line : notes) said |= line.find("replaced 5 top-level entries") != std::string::npos;
  EXPECT_TRUE(said) << ::testing::PrintToString(notes);
  ExpectNothingHalfDone();
}

TEST_F(ImageStoreTest, ImportsADockerSaveArchiveWithTwoLayers) {
  auto info = store_.Import("saved", MakeDockerSave({{LowerLayer(), false}, {UpperLayer(), true}}), Quiet);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_NE(info->source.find("docker-save, 2 layers"), std::string::npos) << info->source;
  EXPECT_EQ(ReadFile(info->rootfs + "/etc/os-release"), "ID=tiny2\n");
  EXPECT_FALSE(Exists(info->rootfs + "/old/file"));
  ExpectNothingHalfDone();
}

TEST_F(ImageStoreTest, TheSameTreeGetsTheSameDigestWhicheverWayItCame) {
  auto oci = store_.Import("a", MakeOci({{LowerLayer(), true}, {UpperLayer(), false}}), Quiet);
  auto saved = store_.Import("b", MakeDockerSave({{LowerLayer(), false}, {UpperLayer(), false}}), Quiet);
  ASSERT_TRUE(oci && saved);
  EXPECT_EQ(oci->digest, saved->digest);
  EXPECT_EQ(oci->rootfs, saved->rootfs);
  EXPECT_EQ(ListDir(images() + "/blobs/sha256").size(), 1u);

  // The blob stays while another name refers to it.
  ASSERT_TRUE(store_.Remove("a"));
  EXPECT_TRUE(Exists(saved->rootfs));
  EXPECT_FALSE(store_.Resolve("a"));
  ASSERT_TRUE(store_.Remove("b"));
  EXPECT_FALSE(Exists(saved->rootfs));
  EXPECT_EQ(ListDir(images() + "/blobs/sha256"), std::vector<std::string>{});
  EXPECT_EQ(ListDir(images() + "/refs"), std::vector<std::string>{});
  ExpectNothingHalfDone();
}

TEST_F(ImageStoreTest, ReplacingAnImageRemovesTheOldTree) {
  auto first = store_.Import("x", MakeOci({{LowerLayer(), true}}), Quiet);
  auto second = store_.Import("x", MakeOci({{LowerLayer(), true}, {UpperLayer(), false}}), Quiet);
  ASSERT_TRUE(first && second);
  EXPECT_NE(first->digest, second->digest);
  EXPECT_FALSE(Exists(first->rootfs));
  EXPECT_EQ(store_.Resolve("x")->digest, second->digest);
  ExpectNothingHalfDone();
}

TEST_F(ImageStoreTest, AFailedImportLeavesNothingBehindAndKeepsTheOldImage) {
  auto good = store_.Import("x", MakeOci({{LowerLayer(), true}}), Quiet);
  ASSERT_TRUE(good);
  TarBuilder hostile = TarBuilder().File("fine", "x").Symlink("etc", "/etc").File("etc/cron.d/evil", "pwned");
  auto bad = store_.Import("x", MakeOci({{LowerLayer(), true}, {hostile, false}}), Quiet);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("import x: layer 2/2 sha256:"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("entry \"etc/cron.d/evil\""), std::string::npos) << bad.error().message;
  EXPECT_FALSE(Exists("/etc/cron.d/evil"));
  EXPECT_EQ(store_.Resolve("x")->digest, good->digest);
  EXPECT_EQ(ListDir(images() + "/blobs/sha256").size(), 1u);
  ExpectNothingHalfDone();

  auto absolute = store_.Import("y", MakeDockerSave({{TarBuilder().File("/etc/evil", "x"), false}}), Quiet);
  ASSERT_FALSE(absolute);
  EXPECT_NE(absolute.error().message.find("absolute path"), std::string::npos) << absolute.error().message;
  EXPECT_FALSE(store_.Resolve("y"));
  ExpectNothingHalfDone();
}

TEST_F(ImageStoreTest, RefusesAnOciBlobWhoseContentDoesNotMatchItsDigest) {
  auto info = store_.Import("x", MakeOci({{LowerLayer(), false}}, /*corrupt=*/true), Quiet);
  ASSERT_FALSE(info);
  EXPECT_NE(info.error().message.find("does not match its digest"), std::string::npos) << info.error().message;
  ExpectNothingHalfDone();
}

TEST_F(ImageStoreTest, TheSizeLimitCoversAllLayersTogether) {
  ExtractLimits limits;
  limits.max_bytes = 300 << 10;
  store_.set_extract_limits(limits);
  Layer one{TarBuilder().File("a", std::string(100 << 10, 'a'))};
  Layer two{TarBuilder().File("b", std::string(100 << 10, 'b'))};
  auto small = store_.Import("small", MakeOci({one, two}), Quiet);
  ASSERT_TRUE(small) << small.error().message;  // 200 KiB of 300
  Layer three{TarBuilder().File("c", std::string(150 << 10, 'c'))};
  auto big = store_.Import("big", MakeDockerSave({one, two, three}), Quiet);
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().message.find("limit"), std::string::npos) << big.error().message;
  ExpectNothingHalfDone();
}

TEST_F(ImageStoreTest, RefusesArchivesThatAreNotImages) {
  const std::string plain = scratch_ / "plain.tar";
  TarBuilder().File("etc/passwd", "root:x:0:0::/:/bin/sh\n").WriteTo(plain);
  auto info = store_.Import("x", plain, Quiet);
  ASSERT_FALSE(info);
  EXPECT_NE(info.error().message.find("neither an OCI image layout"), std::string::npos) << info.error().message;

  const std::string escaping = scratch_ / "escaping.tar";
  TarBuilder().File("../manifest.json", "[]").WriteTo(escaping);
  info = store_.Import("x", escaping, Quiet);
  ASSERT_FALSE(info);
  EXPECT_NE(info.error().message.find("\"..\""), std::string::npos) << info.error().message;

  // A docker-save manifest that points its layer outside the archive.
  const std::string outside = scratch_ / "outside.tar";
  TarBuilder()
      .Symlink("evil", "../../../../etc")
      .File("manifest.json", R"([{"Config":"c.json","Layers":["evil/passwd"]}])")
      .WriteTo(outside);
  info = store_.Import("x", outside, Quiet);
  ASSERT_FALSE(info);
  EXPECT_NE(info.error().message.find("no file \"evil/passwd\""), std::string::npos) << info.error().message;
  EXPECT_FALSE(store_.Resolve("x"));
  ExpectNothingHalfDone();
}

TEST_F(ImageStoreTest, BuildRefusesUnknownSuitesAndPackageNamesBeforeDoingAnything) {
  auto suite = store_.Build("x", "sid", {"python3"}, Quiet);
  ASSERT_FALSE(suite);
  EXPECT_NE(suite.error().message.find("unknown suite"), std::string::npos) << suite.error().message;
  for (const char* package : {"python3;rm", "--foreign", "Python3", "a b", ""}) {
    auto built = store_.Build("x", "bullseye", {"python3", package}, Quiet);
    ASSERT_FALSE(built) << package;
    EXPECT_NE(built.error().message.find("package"), std::string::npos) << built.error().message;
  }
  EXPECT_FALSE(store_.Resolve("x"));
  ExpectNothingHalfDone();
}

TEST_F(ImageStoreTest, FindBuildMatchesOnlyADebootstrapBuildOfTheSameSuiteAndPackages) {
  EXPECT_EQ(DebootstrapSource("bullseye", {"python3", "curl"}), "debootstrap bullseye: python3 curl");
  EXPECT_EQ(DebootstrapSource("bookworm", {}), "debootstrap bookworm");
  auto missing = store_.FindBuild("bullseye-python", "bullseye", {"python3"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().sys_errno, ENOENT) << missing.error().message;
  // An image of that name made otherwise (here imported) is not taken for the build.
  ASSERT_TRUE(store_.Import("bullseye-python", MakeOci({{LowerLayer(), true}}), Quiet));
  auto other = store_.FindBuild("bullseye-python", "bullseye", {"python3"});
  ASSERT_FALSE(other);
  EXPECT_NE(other.error().message.find("was made by \"import "), std::string::npos) << other.error().message;
  EXPECT_NE(other.error().message.find("not \"debootstrap bullseye: python3\""), std::string::npos)
      << other.error().message;
}

TEST_F(ImageStoreTest, ResolvesHostAndExplainsMissingImages) {
  auto host = store_.Resolve("host");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->rootfs, "/");
  EXPECT_EQ(host->digest, "");
  auto missing = store_.Resolve("python-3.11");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("runlet image build python-3.11"), std::string::npos)
      << missing.error().message;
  EXPECT_NE(missing.error().message.find("runlet image import python-3.11"), std::string::npos);
  EXPECT_FALSE(store_.Remove("host"));
  EXPECT_FALSE(store_.Remove("nothing"));
}

TEST_F(ImageStoreTest, RefusesBadNames) {
  for (const char* name : {"", "../etc", "a/b", "Upper", "-dash", ".hidden", "host"}) {
    EXPECT_FALSE(store_.Import(name, MakeOci({{LowerLayer(), false}}), Quiet)) << name;
    if (std::string_view(name) != "host") {
      EXPECT_FALSE(store_.Resolve(name)) << name;
    }
  }
  EXPECT_EQ(CheckImageName("bullseye-python3.9_x"), "");
  EXPECT_NE(CheckImageName(std::string(65, 'a')), "");
}

TEST_F(ImageStoreTest, ExportsATarThatDockerImportAccepts) {
  auto info = store_.Import("tiny", MakeOci({{LowerLayer(), true}, {UpperLayer(), false}}), Quiet);
  ASSERT_TRUE(info);
  const std::string out = scratch_ / "export.tar";
  auto s = store_.Export("tiny", out, Quiet);
  ASSERT_TRUE(s) << s.error().message;

  struct archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  ASSERT_EQ(archive_read_open_filename(a, out.c_str(), 1 << 16), ARCHIVE_OK);
  std::set<std::string> paths;
  std::string hello;
  struct archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    std::string path = archive_entry_pathname(e);
    if (path.size() > 1 && path.back() == '/') path.pop_back();  // directories
    EXPECT_NE(path.front(), '/');
    EXPECT_EQ(path.find(".."), std::string::npos);
    if (path == "usr/bin/hello") {
      hello.resize(static_cast<size_t>(archive_entry_size(e)));
      archive_read_data(a, hello.data(), hello.size());
      EXPECT_EQ(archive_entry_perm(e), 0755u);
    }
    if (path == "bin") {
      EXPECT_STREQ(archive_entry_symlink(e), "usr/bin");
    }
    paths.insert(path);
  }
  archive_read_free(a);
  EXPECT_EQ(hello, "#!/bin/sh\necho hello\n");
  for (const char* p : {"usr/bin/hello", "etc/new", "bin", "tmp", "work", "old"}) EXPECT_TRUE(paths.count(p)) << p;
  EXPECT_FALSE(paths.count("old/file"));

  // Exporting twice gives the same bytes.
  const std::string again = scratch_ / "again.tar";
  ASSERT_TRUE(store_.Export("tiny", again, Quiet));
  EXPECT_EQ(ReadFile(out), ReadFile(again));
  EXPECT_FALSE(store_.Export("host", again, Quiet));
}

}  // namespace
}  // namespace runlet::image
