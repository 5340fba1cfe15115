// Builds tarballs for the image tests with libarchive's writer, hostile ones included.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace runlet::image::testing {

class TarBuilder {
 public:
  TarBuilder& File(const std::string& path, const std::string& content, unsigned mode = 0644, int64_t uid = 0,
                   int64_t gid = 0);
  TarBuilder& Dir(const std::string& path, unsigned mode = 0755);
  TarBuilder& Symlink(const std::string& path, const std::string& target);
  TarBuilder& HardLink(const std::string& path, const std::string& target);
  TarBuilder& CharDevice(const std::string& path, unsigned major, unsigned minor);
  TarBuilder& BlockDevice(const std::string& path, unsigned major, unsigned minor);
  TarBuilder& Fifo(const std::string& path);

  // Writes the archive (pax; gzip-compressed if asked) to `file`. Aborts the test on error.
  void WriteTo(const std::string& file, bool gzip = false) const;

 private:
  struct Entry {
    std::string path;
    unsigned type = 0;  // AE_IF*
    unsigned mode = 0;
    std::string content;
    std::string link;  // symlink target
    std::string hardlink;
    int64_t uid = 0, gid = 0;
    dev_t rdev = 0;
  };
  std::vector<Entry> entries_;
};

// A ustar archive of one regular file whose header declares `declared_size` bytes
// (base-256 encoded when large) but carries only one block of data: what a hostile
// archive would use to claim a huge file without shipping it.
void WriteTarDeclaringSize(const std::string& file, const std::string& name, uint64_t declared_size);

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& content);
std::string Sha256Hex(const std::string& data);

// A scratch directory under /tmp, removed with everything in it at destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

bool Exists(const std::string& path);  // lstat succeeds
std::vector<std::string> ListDir(const std::string& path);

}  // namespace runlet::image::testing
