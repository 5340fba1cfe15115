// libarchive's message for the last error on an archive. archive_error_string() may
// return NULL (a filter or format that failed without saying why, e.g. at open): never
// build a std::string from it directly.
#pragma once

#include <archive.h>

#include <string>

namespace runlet::image {

inline std::string ArchiveError(struct archive* a) {
  if (const char* message = archive_error_string(a)) return message;
  const int err = archive_errno(a);
  return err ? "libarchive error " + std::to_string(err) : std::string("libarchive failed without a message");
}

}  // namespace runlet::image
