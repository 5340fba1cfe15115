#include "image/tree_sanitize.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <vector>

#include "core/files.h"
#include "core/unique_fd.h"
#include "image/fs_tree.h"

namespace runlet::image {
namespace {

constexpr int kMaxDepth = 1024;

Status Sanitize(int dirfd, const std::string& prefix, dev_t dev, int depth, SanitizeStats& stats) {
  if (depth > kMaxDepth) return Fail(prefix + ": directory tree too deep");
  auto names = DirEntries(dirfd, prefix);
  if (!names) return tl::unexpected(names.error());

  for (const auto& name : *names) {
    const std::string path = prefix.empty() ? name : prefix + "/" + name;
    struct stat st {};
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) return FailErrno("stat " + path);
    if (S_ISLNK(st.st_mode)) continue;
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
      if (::unlinkat(dirfd, name.c_str(), 0) < 0) return FailErrno("remove " + path);
      stats.removed_special++;
      continue;
    }
    const int flags = S_ISDIR(st.st_mode) ? O_RDONLY | O_DIRECTORY : O_RDONLY;
    UniqueFd fd(::openat(dirfd, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (!fd) return FailErrno("open " + path);
    if (st.st_mode & (S_ISUID | S_ISGID)) {
      if (::fchmod(fd.get(), st.st_mode & 01777) < 0) return FailErrno("chmod " + path);
      stats.stripped_setid++;
    }
    if (S_ISREG(st.st_mode)) {
      if (::fremovexattr(fd.get(), "security.capability") == 0) {
        stats.removed_caps++;
      } else if (errno != ENODATA && errno != ENOTSUP) {
        return FailErrno("remove capabilities of " + path);
      }
    } else {
      if (st.st_dev != dev) return Fail(path + ": a mount point inside the tree");
      if (auto s = Sanitize(fd.get(), path, dev, depth + 1, stats); !s) return s;
    }
  }
  return {};
}

// The top level: Runlet's own names and the mount points (core/files.h).
Status SanitizeTopLevel(int root, SanitizeStats& stats) {
  if (::fchmod(root, 0755) < 0) return FailErrno("chmod the root");
  struct stat st {};
  if (::fstatat(root, kRunletDir, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (auto s = RemoveTreeAt(root, kRunletDir); !s) return s;
    stats.replaced_own++;
  }
  for (const char* name : kMountPointDirs) {
    const std::string_view n = name;
    const mode_t mode = n == "tmp" ? 01777 : n == "proc" ? 0555 : 0755;
    if (::fstatat(root, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (S_ISDIR(st.st_mode)) continue;  // an image's own directory keeps its mode
      if (auto s = RemoveTreeAt(root, name); !s) return s;
      stats.replaced_own++;
    } else if (errno != ENOENT) {
      return FailErrno(std::string("stat ") + name);
    }
    auto dir = MakeDirBeneath(root, name, mode);
    if (!dir) return tl::unexpected(dir.error());
  }
  return {};
}

}  // namespace

Result<SanitizeStats> SanitizeTree(const std::string& root) {
  UniqueFd fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return FailErrno("open " + root);
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) return FailErrno("stat " + root);
  SanitizeStats stats;
  if (auto s = SanitizeTopLevel(fd.get(), stats); !s) return tl::unexpected(s.error().Wrap("sanitize " + root));
  if (auto s = Sanitize(fd.get(), "", st.st_dev, 0, stats); !s) return tl::unexpected(s.error().Wrap("sanitize " + root));
  return stats;
}

}  // namespace runlet::image
