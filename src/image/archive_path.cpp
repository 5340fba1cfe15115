#include "image/archive_path.h"

#include <cstdio>

namespace runlet::image {

namespace {
// Real images stay far below; the tree walkers (digest, removal) allow more.
constexpr size_t kMaxPathComponents = 256;
}  // namespace

Result<std::vector<std::string>> SplitArchivePath(std::string_view path, size_t max_bytes) {
  if (path.size() > max_bytes) return Fail("path longer than " + std::to_string(max_bytes) + " bytes");
  if (!path.empty() && path.front() == '/') return Fail("absolute path");
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") return Fail("\"..\" in path");
    if (part.size() > 255) return Fail("path component longer than 255 bytes");
    if (parts.size() == kMaxPathComponents)
      return Fail("path deeper than " + std::to_string(kMaxPathComponents) + " directories");
    parts.emplace_back(part);
  }
  return parts;
}

std::string JoinPath(const std::vector<std::string>& parts, size_t count) {
  std::string path;
  for (size_t i = 0; i < count && i < parts.size(); ++i) {
    if (i) path += '/';
    path += parts[i];
  }
  return path;
}

std::string HumanBytes(uint64_t bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int unit = 0;
  double value = static_cast<double>(bytes);
  while (value >= 1024 && unit < 6) {
    value /= 1024;
    unit++;
  }
  char out[32];
  if (unit == 0 || value >= 100) {
    std::snprintf(out, sizeof out, "%.0f %s", value, kUnits[unit]);
  } else {
    std::snprintf(out, sizeof out, "%.1f %s", value, kUnits[unit]);
  }
  return out;
}

}  // namespace runlet::image
