#include "core/files.h"

namespace runlet {

std::string CheckRelativePath(std::string_view path) {
  if (path.empty()) return "empty path";
  if (path.size() > 1024) return "path longer than 1024 bytes";
  if (path.find('\0') != std::string_view::npos) return "path contains a NUL byte";
  if (path.front() == '/') return "absolute paths are not allowed";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part.empty()) return "empty path component";
    if (part == "." || part == "..") return "\".\" and \"..\" are not allowed in paths";
    if (part.size() > 255) return "path component longer than 255 bytes";
    start = end + 1;
  }
  return {};
}

}  // namespace runlet
