#include "test_tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "image/fs_tree.h"
#include "image/sha256.h"

namespace runlet::image::testing {

TarBuilder& TarBuilder::File(const std::string& path, const std::string& content, unsigned mode, int64_t uid,
                             int64_t gid) {
  Entry e;
  e.path = path;
  e.type = AE_IFREG;
  e.mode = mode;
  e.content = content;
  e.uid = uid;
  e.gid = gid;
  entries_.push_back(e);
  return *this;
}

TarBuilder& TarBuilder::Dir(const std::string& path, unsigned mode) {
  Entry e;
  e.path = path;
  e.type = AE_IFDIR;
  e.mode = mode;
  entries_.push_back(e);
  return *this;
}

TarBuilder& TarBuilder::Symlink(const std::string& path, const std::string& target) {
  Entry e;
  e.path = path;
  e.type = AE_IFLNK;
  e.mode = 0777;
  e.link = target;
  entries_.push_back(e);
  return *this;
}

TarBuilder& TarBuilder::HardLink(const std::string& path, const std::string& target) {
  Entry e;
  e.path = path;
  e.type = AE_IFREG;
  e.mode = 0644;
  e.hardlink = target;
  entries_.push_back(e);
  return *this;
}

TarBuilder& TarBuilder::CharDevice(const std::string& path, unsigned major, unsigned minor) {
  Entry e;
  e.path = path;
  e.type = AE_IFCHR;
  e.mode = 0666;
  e.rdev = makedev(major, minor);
  entries_.push_back(e);
  return *this;
}

TarBuilder& TarBuilder::BlockDevice(const std::string& path, unsigned major, unsigned minor) {
  Entry e;
  e.path = path;
  e.type = AE_IFBLK;
  e.mode = 0660;
  e.rdev = makedev(major, minor);
  entries_.push_back(e);
  return *this;
}

TarBuilder& TarBuilder::Fifo(const std::string& path) {
  Entry e;
  e.path = path;
  e.type = AE_IFIFO;
  e.mode = 0644;
  entries_.push_back(e);
  return *this;
}

void TarBuilder::WriteTo(const std::string& file, bool gzip) const {
  struct archive* a = archive_write_new();
  ASSERT_NE(a, nullptr);
  archive_write_set_format_pax_restricted(a);
  if (gzip) archive_write_add_filter_gzip(a);
  ASSERT_EQ(archive_write_open_filename(a, file.c_str()), ARCHIVE_OK) << archive_error_string(a);
  for (const auto& e : entries_) {
    struct archive_entry* ae = archive_entry_new();
    archive_entry_set_pathname(ae, e.path.c_str());
    archive_entry_set_filetype(ae, e.type);
    archive_entry_set_perm(ae, e.mode);
    archive_entry_set_uid(ae, e.uid);
    archive_entry_set_gid(ae, e.gid);
    archive_entry_set_mtime(ae, 1700000000, 0);
    if (!e.link.empty()) archive_entry_set_symlink(ae, e.link.c_str());
    if (!e.hardlink.empty()) archive_entry_set_hardlink(ae, e.hardlink.c_str());
    if (e.rdev) archive_entry_set_rdev(ae, e.rdev);
    archive_entry_set_size(ae, e.type == AE_IFREG && e.hardlink.empty() ? static_cast<la_int64_t>(e.content.size()) : 0);
    ASSERT_GE(archive_write_header(a, ae), ARCHIVE_WARN) << e.path << ": " << archive_error_string(a);
    if (!e.content.empty()) {
      ASSERT_EQ(archive_write_data(a, e.content.data(), e.content.size()), static_cast<la_ssize_t>(e.content.size()));
    }
    archive_entry_free(ae);
  }
  ASSERT_EQ(archive_write_close(a), ARCHIVE_OK) << archive_error_string(a);
  archive_write_free(a);
}

namespace {
void Octal(char* field, size_t width, uint64_t value) {
  std::snprintf(field, width, "%0*llo", static_cast<int>(width - 1), static_cast<unsigned long long>(value));
}
}  // namespace

void WriteTarDeclaringSize(const std::string& file, const std::string& name, uint64_t declared_size) {
  char header[512] = {};
  std::memcpy(header, name.data(), std::min<size_t>(name.size(), 99));
  Octal(header + 100, 8, 0644);
  Octal(header + 108, 8, 0);
  Octal(header + 116, 8, 0);
  // size: base-256, big-endian, high bit of the first byte set.
  header[124] = static_cast<char>(0x80);
  for (int i = 0; i < 8; ++i) header[135 - i] = static_cast<char>((declared_size >> (8 * i)) & 0xff);
  Octal(header + 136, 12, 1700000000);
  header[156] = '0';
  std::memcpy(header + 257, "ustar", 6);
  std::memcpy(header + 263, "00", 2);
  std::memset(header + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : header) sum += c;
  std::snprintf(header + 148, 8, "%06o", sum);
  header[155] = ' ';
  std::string out(header, sizeof header);
  out += std::string(512, 'x');
  WriteFile(file, out);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  ASSERT_TRUE(out.good()) << path;
}

std::string Sha256Hex(const std::string& data) {
  Sha256 sha;
  sha.Update(data);
  return sha.HexDigest();
}

ScratchDir::ScratchDir() {
  char tmpl[] = "/tmp/runlet-image-test-XXXXXX";
  char* made = ::mkdtemp(tmpl);
  if (!made) std::abort();
  path_ = made;
}

ScratchDir::~ScratchDir() { (void)RemoveTree(path_); }

bool Exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::vector<std::string> ListDir(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(path.c_str());
  if (!dir) return names;
  while (auto* e = ::readdir(dir)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace runlet::image::testing
