// The Docker client's pieces, without an engine.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>

#include "platform/docker/docker_platform.h"
#include "platform/docker/frame_demuxer.h"
#include "platform/docker/tar_writer.h"

namespace runlet::platform::docker {
namespace {

std::string Frame(int stream, std::string_view payload) {
  std::string h(8, '\0');
  h[0] = static_cast<char>(stream);
  const auto n = static_cast<uint32_t>(payload.size());
  h[4] = static_cast<char>(n >> 24);
  h[5] = static_cast<char>(n >> 16);
  h[6] = static_cast<char>(n >> 8);
  h[7] = static_cast<char>(n);
  return h + std::string(payload);
}

TEST(FrameDemuxer, SplitsStdoutAndStderrFedByteByByte) {
  const std::string wire = Frame(1, "out one\n") + Frame(2, "err\n") + Frame(1, "") + Frame(1, std::string(70000, 'x'));
  std::string out, err;
  FrameDemuxer demux([&](int s, std::string_view p) { (s == 1 ? out : err).append(p); });
  for (char c : wire) demux.Feed(std::string_view(&c, 1));
  EXPECT_EQ(out, "out one\n" + std::string(70000, 'x'));
  EXPECT_EQ(err, "err\n");
  EXPECT_FALSE(demux.mid_frame());
}

TEST(FrameDemuxer, KnowsWhenTheStreamStoppedInsideAFrame) {
  FrameDemuxer demux([](int, std::string_view) {});
  demux.Feed(Frame(1, "abcdef").substr(0, 10));
  EXPECT_TRUE(demux.mid_frame());
}

struct Entry {
  int type;
  std::string content, link;
  unsigned mode;
  int64_t uid;
};

std::map<std::string, Entry> ReadTar(const std::string& data) {
  std::map<std::string, Entry> out;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_memory(a, data.data(), data.size()), ARCHIVE_OK) << archive_error_string(a);
  archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    Entry entry{static_cast<int>(archive_entry_filetype(e)), {}, archive_entry_symlink(e) ? archive_entry_symlink(e) : "",
                static_cast<unsigned>(archive_entry_perm(e)), archive_entry_uid(e)};
    char buf[8192];
    for (la_ssize_t n; (n = archive_read_data(a, buf, sizeof buf)) > 0;) entry.content.append(buf, static_cast<size_t>(n));
    out[archive_entry_pathname(e)] = entry;
  }
  archive_read_free(a);
  return out;
}

TEST(TarWriter, WritesFilesDirectoriesSymlinksAndLongPaths) {
  TarWriter tar(1000, 1000, 1700000000);
  const std::string long_path = std::string(120, 'd') + "/" + std::string(90, 'f') + ".txt";
  tar.AddDirectory("src", 0755);
  tar.AddFile("src/main.c", "int main(void) { return 0; }\n", 0644);
  tar.AddFile("run.sh", "#!/bin/sh\n", 0755);
  tar.AddFile("empty", "", 0600);
  tar.AddSymlink("bin", "usr/bin");
  tar.AddFile(long_path, std::string(1000, 'z'), 0644);
  const auto entries = ReadTar(tar.Finish());
  ASSERT_EQ(entries.size(), 6u);
  EXPECT_EQ(entries.at("src/").type, AE_IFDIR);
  EXPECT_EQ(entries.at("src/main.c").content, "int main(void) { return 0; }\n");
  EXPECT_EQ(entries.at("src/main.c").uid, 1000);
  EXPECT_EQ(entries.at("run.sh").mode, 0755u);
  EXPECT_EQ(entries.at("empty").content, "");
  EXPECT_EQ(entries.at("bin").type, AE_IFLNK);
  EXPECT_EQ(entries.at("bin").link, "usr/bin");
  EXPECT_EQ(entries.at(long_path).content, std::string(1000, 'z'));
}

TEST(OwnerLabel, NamesThisProcessAsAlive) {
  EXPECT_TRUE(OwnerAlive(OwnerLabel()));
}

TEST(OwnerLabel, CallsOtherBootsReusedPidsAndGarbageDead) {
  const std::string mine = OwnerLabel();
  const std::string boot = mine.substr(0, mine.find('/'));
  EXPECT_FALSE(OwnerAlive("00000000-0000-0000-0000-000000000000/" + std::to_string(::getpid()) +
                          mine.substr(mine.rfind('/'))));
  EXPECT_FALSE(OwnerAlive(boot + "/" + std::to_string(::getpid()) + "/1"));  // another start time
  EXPECT_FALSE(OwnerAlive(boot + "/999999999/1"));
  EXPECT_FALSE(OwnerAlive(""));
  EXPECT_FALSE(OwnerAlive("garbage"));
}

TEST(UrlEncode, EncodesQueryValues) {
  EXPECT_EQ(UrlEncode(R"({"label":["a=1"]})"), "%7B%22label%22%3A%5B%22a%3D1%22%5D%7D");
  EXPECT_EQ(UrlEncode("runlet/host"), "runlet%2Fhost");
}

}  // namespace
}  // namespace runlet::platform::docker
