// A project's files as one archive: exported as a zip, imported from a zip or a tar
// (plain or compressed) that a person uploads. Imports are untrusted input: only regular
// files come in, under the project's path rules, within the project's limits, and the
// sizes are counted as the data is read (never taken from the archive's own headers).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace runlet::image {

struct ProjectFile {
  std::string path;  // relative, '/'-separated, checked by core::CheckRelativePath
  std::string content;
};

struct ProjectArchiveLimits {
  size_t files = 500;                   // regular files in the archive
  uint64_t file_bytes = 1 << 20;        // one file, uncompressed
  uint64_t total_bytes = 16ull << 20;   // all files together, uncompressed
};

// A zip (deflate) of `files`, in the order given, each with mode 0644.
Result<std::string> WriteProjectZip(const std::vector<ProjectFile>& files);

// The regular files of a zip or tar archive held in memory. Folders are implied by the
// paths and skipped; links, devices and other entries are refused, as are paths that
// the project's rules refuse (absolute, "..", control characters, not UTF-8), one path
// twice, and anything beyond `limits` (kTooLarge). Other failures are kInvalid.
Result<std::vector<ProjectFile>> ReadProjectArchive(std::string_view data, const ProjectArchiveLimits& limits);

}  // namespace runlet::image
