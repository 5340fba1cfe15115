// Project archives (image/project_archive.h): a zip or tar a person uploads into a
// project. Whatever comes back must obey the promises of ReadProjectArchive: paths the
// project's rules accept, each once, within the limits given.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>

#include "core/files.h"
#include "core/utf8.h"
#include "image/project_archive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  runlet::image::ProjectArchiveLimits limits;
  limits.files = 64;
  limits.file_bytes = 64 << 10;
  limits.total_bytes = 256 << 10;
  auto files = runlet::image::ReadProjectArchive(std::string_view(reinterpret_cast<const char*>(data), size), limits);
  if (!files) return 0;
  if (files->size() > limits.files) std::abort();
  std::set<std::string> seen;
  uint64_t total = 0;
  for (const auto& f : *files) {
    if (!runlet::CheckRelativePath(f.path).empty() || !runlet::IsValidUtf8(f.path)) std::abort();
    if (!seen.insert(f.path).second) std::abort();
    if (f.content.size() > limits.file_bytes) std::abort();
    total += f.content.size();
  }
  if (total > limits.total_bytes) std::abort();
  return 0;
}
