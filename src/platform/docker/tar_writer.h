// A tar archive built in memory (ustar, with pax records for paths longer than ustar
// holds): the run's files for an archive upload, and the small base image of the "host"
// runtime image. Paths are relative ("src/main.c"); directories are not implied, add them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace runlet::platform::docker {

class TarWriter {
 public:
  // Every entry gets this owner and modification time.
  TarWriter(unsigned uid, unsigned gid, int64_t mtime) : uid_(uid), gid_(gid), mtime_(mtime) {}

  void AddDirectory(std::string_view path, unsigned mode);
  void AddFile(std::string_view path, std::string_view content, unsigned mode);
  void AddSymlink(std::string_view path, std::string_view target);
  // The archive with its two terminating zero blocks; the writer is empty afterwards.
  std::string Finish();

 private:
  void Header(std::string_view path, char type, unsigned mode, uint64_t size, std::string_view link);
  void Pad();

  unsigned uid_, gid_;
  int64_t mtime_;
  std::string out_;
};

}  // namespace runlet::platform::docker
