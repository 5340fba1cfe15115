#include "core/files.h"

#include <cstdio>

namespace runlet {
namespace {

// The first character of `path` that could fool a terminal or a page showing the name:
// C0 controls (ESC, CR, LF...), DEL, C1 controls (U+0080-U+009F) and the bidirectional
// marks, embeddings, overrides and isolates (U+061C, U+200E-U+200F, U+202A-U+202E,
// U+2066-U+2069). Returns its code point, or -1 when there is none. Bytes that are not
// UTF-8 are left to the callers that require UTF-8.
long SpoofingCharacter(std::string_view path) {
  for (size_t i = 0; i < path.size(); ++i) {
    const auto c = static_cast<unsigned char>(path[i]);
    if (c < 0x20 || c == 0x7F) return c;
    if (c == 0xC2 && i + 1 < path.size()) {
      const auto next = static_cast<unsigned char>(path[i + 1]);
      if (next >= 0x80 && next <= 0x9F) return next;
    }
    if (c == 0xD8 && i + 1 < path.size() && static_cast<unsigned char>(path[i + 1]) == 0x9C) return 0x061C;
    if (c == 0xE2 && i + 2 < path.size()) {
      const auto b1 = static_cast<unsigned char>(path[i + 1]), b2 = static_cast<unsigned char>(path[i + 2]);
      const long cp = 0x2000 | ((b1 & 0x3F) << 6) | (b2 & 0x3F);
      if ((b1 & 0xC0) == 0x80 && (b2 & 0xC0) == 0x80 &&
          (cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)))
        return cp;
    }
  }
  return -1;
}

}  // namespace

std::string CheckRelativePath(std::string_view path) {
  if (path.empty()) return "empty path";
  if (path.size() > 1024) return "path longer than 1024 bytes";
  if (path.find('\0') != std::string_view::npos) return "path contains a NUL byte";
  if (path.front() == '/') return "absolute paths are not allowed";
  if (const long cp = SpoofingCharacter(path); cp >= 0) {
    char code[16];
    std::snprintf(code, sizeof code, "U+%04lX", static_cast<unsigned long>(cp));
    return std::string("path contains ") + (cp >= 0x200E ? "a bidirectional text control" : "a control character") +
           " (" + code + "), which could disguise the name";
  }
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
