#include "core/files.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

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
