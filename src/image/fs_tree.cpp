#include "image/fs_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "core/unique_fd.h"

namespace runlet::image {
namespace {

constexpr int kMaxDepth = 1024;

// Empties the open directory `fd` (on device `dev`).
Status EmptyDir(int fd, dev_t dev, int depth) {
  if (depth > kMaxDepth) return Fail("directory tree deeper than " + std::to_string(kMaxDepth));
  auto names = DirEntries(fd, "the directory");
  if (!names) return tl::unexpected(names.error());

  for (const auto& name : *names) {
    struct stat st {};
    if (::fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno == ENOENT) continue;
      return FailErrno("stat " + name);
    }
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != dev) return Fail(name + ": is a mount point (another file system); not removing it");
      UniqueFd sub(::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub) return FailErrno("open " + name);
      if (auto s = EmptyDir(sub.get(), dev, depth + 1); !s) return tl::unexpected(s.error().Wrap(name));
      if (::unlinkat(fd, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT) return FailErrno("rmdir " + name);
    } else if (::unlinkat(fd, name.c_str(), 0) < 0 && errno != ENOENT) {
      return FailErrno("unlink " + name);
    }
  }
  return {};
}

std::pair<std::string, std::string> SplitParent(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return {".", path};
  if (slash == 0) return {"/", path.substr(1)};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

}  // namespace

Result<std::vector<std::string>> DirEntries(int dirfd, const std::string& what) {
  int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return FailErrno("dup");
  DIR* dir = ::fdopendir(dup);
  if (!dir) {
    ::close(dup);
    return FailErrno("opendir " + what);
  }
  std::vector<std::string> names;
  errno = 0;
  while (auto* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  const int err = errno;
  ::closedir(dir);
  if (err != 0) return FailErrno("readdir " + what, err);
  return names;
}

Status RemoveTreeAt(int dirfd, const std::string& name) {
  struct stat st {};
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return {};
    return FailErrno("stat " + name);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(dirfd, name.c_str(), 0) < 0 && errno != ENOENT) return FailErrno("unlink " + name);
    return {};
  }
  struct stat parent {};
  if (::fstat(dirfd, &parent) < 0) return FailErrno("stat parent of " + name);
  if (parent.st_dev != st.st_dev) return Fail(name + ": is a mount point (another file system); not removing it");
  UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return FailErrno("open " + name);
  if (auto s = EmptyDir(fd.get(), st.st_dev, 0); !s) return tl::unexpected(s.error().Wrap("remove " + name));
  if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT) return FailErrno("rmdir " + name);
  return {};
}

Status RemoveTree(const std::string& path) {
  auto [parent, name] = SplitParent(path);
  if (name.empty() || name == "." || name == "..") return Fail("refusing to remove \"" + path + "\"");
  UniqueFd dir(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) {
    if (errno == ENOENT) return {};
    return FailErrno("open " + parent);
  }
  if (auto s = RemoveTreeAt(dir.get(), name); !s) return tl::unexpected(s.error().Wrap(parent));
  return {};
}

Status MakeDirs(const std::string& path) {
  if (path.empty()) return Fail("empty directory path");
  std::string prefix;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string::npos) slash = path.size();
    prefix = path.substr(0, slash);
    pos = slash + 1;
    if (prefix.empty()) continue;  // leading "/"
    if (::mkdir(prefix.c_str(), 0755) < 0 && errno != EEXIST) return FailErrno("mkdir " + prefix);
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) < 0) return FailErrno("stat " + path);
  if (!S_ISDIR(st.st_mode)) return Fail(path + ": not a directory");
  return {};
}

Status WriteFileAtomic(const std::string& path, std::string_view content, unsigned mode) {
  // A hidden name beside the target: directory listings skip names starting with '.'.
  auto [dir, base] = SplitParent(path);
  std::string tmp = dir + "/." + base + ".tmp-XXXXXX";
  UniqueFd fd(::mkostemp(tmp.data(), O_CLOEXEC));
  if (!fd) return FailErrno("create " + tmp);
  auto fail = [&](std::string_view what) {
    int err = errno;
    ::unlink(tmp.c_str());
    return FailErrno(std::string(what) + " " + tmp, err);
  };
  while (!content.empty()) {
    ssize_t n = ::write(fd.get(), content.data(), content.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("write");
    content.remove_prefix(static_cast<size_t>(n));
  }
  if (::fchmod(fd.get(), mode) < 0) return fail("chmod");
  if (::fsync(fd.get()) < 0) return fail("fsync");
  if (::rename(tmp.c_str(), path.c_str()) < 0) return fail("rename to " + path + ":");
  return {};
}

Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return FailErrno("open " + path);
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) return FailErrno("stat " + path);
  if (!S_ISREG(st.st_mode)) return Fail(path + ": not a regular file");
  if (static_cast<uint64_t>(st.st_size) > max_bytes)
    return Fail(path + ": larger than " + std::to_string(max_bytes) + " bytes");
  std::string content;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return FailErrno("read " + path);
    if (n == 0) break;
    content.append(buf, static_cast<size_t>(n));
    if (content.size() > max_bytes) return Fail(path + ": larger than " + std::to_string(max_bytes) + " bytes");
  }
  return content;
}

Result<TempDir> TempDir::Create(const std::string& parent, std::string_view prefix) {
  if (auto s = MakeDirs(parent); !s) return tl::unexpected(s.error());
  std::string path = parent + "/" + std::string(prefix) + "XXXXXX";
  if (!::mkdtemp(path.data())) return FailErrno("mkdtemp " + path);
  return TempDir(std::move(path));
}

TempDir::TempDir(TempDir&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }

TempDir::~TempDir() {
  if (!path_.empty()) (void)RemoveTree(path_);
}

std::string TempDir::Release() { return std::exchange(path_, std::string()); }

}  // namespace runlet::image
