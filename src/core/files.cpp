#include "core/files.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>
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

Result<UniqueFd> OpenBeneath(int dir_fd, std::string_view path, int flags, mode_t mode) {
  const std::string name(path);
  if (name.empty() || name.find('\0') != std::string::npos) return Fail("open \"" + name + "\": not a path", EINVAL);
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  long fd;
  do {
    fd = ::syscall(SYS_openat2, dir_fd, name.c_str(), &how, sizeof how);
  } while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  if (fd < 0) {
    const int err = errno;
    if (err == ELOOP) return Fail("open " + name + ": a symlink on the way (never followed in this tree)", ELOOP);
    if (err == EXDEV) return Fail("open " + name + ": the path leads outside its tree", EXDEV);
    return FailErrno("open " + name, err);
  }
  return UniqueFd(static_cast<int>(fd));
}

Result<struct stat> StatBeneath(int dir_fd, std::string_view path) {
  auto fd = OpenBeneath(dir_fd, path, O_PATH | O_NOFOLLOW);
  if (!fd) return tl::unexpected(fd.error());
  struct stat st {};
  if (::fstat(fd->get(), &st) < 0) return FailErrno("stat " + std::string(path));
  return st;
}

Result<UniqueFd> MakeDirBeneath(int dir_fd, std::string_view path, mode_t mode) {
  const size_t slash = path.rfind('/');
  UniqueFd parent_holder;
  int parent = dir_fd;
  std::string leaf(path);
  if (slash != std::string_view::npos) {
    auto opened = OpenBeneath(dir_fd, path.substr(0, slash), O_PATH | O_DIRECTORY);
    if (!opened) return tl::unexpected(opened.error());
    parent_holder = std::move(*opened);
    parent = parent_holder.get();
    leaf = std::string(path.substr(slash + 1));
  }
  if (::mkdirat(parent, leaf.c_str(), mode) < 0 && errno != EEXIST) return FailErrno("mkdir " + std::string(path));
  auto dir = OpenBeneath(parent, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  if (!dir) return tl::unexpected(dir.error());
  // mkdirat applies the umask, and an existing directory keeps its mode otherwise.
  if (::fchmod(dir->get(), mode) < 0) return FailErrno("chmod " + std::string(path));
  return dir;
}

}  // namespace runlet
