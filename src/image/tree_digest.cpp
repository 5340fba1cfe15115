#include "image/tree_digest.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>
#include <utility>
#include <vector>

#include "core/unique_fd.h"
#include "image/fs_tree.h"
#include "image/sha256.h"

namespace runlet::image {
namespace {

constexpr int kMaxDepth = 1024;

class TreeWalker {
 public:
  Status Walk(int dirfd, const std::string& prefix, int depth);
  Status AddEntry(int dirfd, const std::string& name, const std::string& path, const struct stat& st);

  Sha256 tree;
  TreeDigest out;
  dev_t dev = 0;

 private:
  std::set<std::pair<dev_t, ino_t>> linked_;  // inodes with several names already counted
};

char TypeChar(mode_t mode) {
  if (S_ISREG(mode)) return 'f';
  if (S_ISDIR(mode)) return 'd';
  if (S_ISLNK(mode)) return 'l';
  if (S_ISCHR(mode)) return 'c';
  if (S_ISBLK(mode)) return 'b';
  if (S_ISFIFO(mode)) return 'p';
  return 's';
}

Status TreeWalker::AddEntry(int dirfd, const std::string& name, const std::string& path, const struct stat& st) {
  // Record: path NUL header NUL [symlink target NUL]
  std::string header;
  header += TypeChar(st.st_mode);
  char perm[16];
  std::snprintf(perm, sizeof perm, " %04o", static_cast<unsigned>(st.st_mode & 07777));
  header += perm;
  header += " " + std::to_string(st.st_uid) + " " + std::to_string(st.st_gid);
  std::string target;
  bool has_target = false;
  if (S_ISREG(st.st_mode)) {
    UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return FailErrno("open " + path);
    auto hex = Sha256OfFd(fd.get());
    if (!hex) return tl::unexpected(hex.error().Wrap(path));
    header += " " + std::to_string(st.st_size) + " " + *hex;
  } else if (S_ISLNK(st.st_mode)) {
    std::string buf(static_cast<size_t>(std::max<off_t>(st.st_size, 255)) + 1, '\0');
    ssize_t n = ::readlinkat(dirfd, name.c_str(), buf.data(), buf.size());
    if (n < 0) return FailErrno("readlink " + path);
    if (static_cast<size_t>(n) == buf.size()) return Fail(path + ": symlink changed while reading it");
    target.assign(buf.data(), static_cast<size_t>(n));
    has_target = true;
  } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    header += " " + std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev));
  }
  tree.Update(path.data(), path.size() + 1);  // with its NUL
  tree.Update(header.data(), header.size() + 1);
  if (has_target) tree.Update(target.data(), target.size() + 1);

  out.entries++;
  if (!S_ISDIR(st.st_mode) && st.st_nlink > 1 && !linked_.insert({st.st_dev, st.st_ino}).second) return {};
  out.size_bytes += static_cast<uint64_t>(st.st_blocks) * 512;
  return {};
}

Status TreeWalker::Walk(int dirfd, const std::string& prefix, int depth) {
  if (depth > kMaxDepth) return Fail(prefix + ": directory tree deeper than " + std::to_string(kMaxDepth));
  auto names = DirEntries(dirfd, prefix);
  if (!names) return tl::unexpected(names.error());
  std::sort(names->begin(), names->end());  // char_traits<char> compares as unsigned bytes

  for (const auto& name : *names) {
    const std::string path = prefix.empty() ? name : prefix + "/" + name;
    struct stat st {};
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) return FailErrno("stat " + path);
    if (auto s = AddEntry(dirfd, name, path, st); !s) return s;
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != dev) return Fail(path + ": a mount point inside the tree");
      UniqueFd sub(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub) return FailErrno("open " + path);
      if (auto s = Walk(sub.get(), path, depth + 1); !s) return s;
    }
  }
  return {};
}

}  // namespace

Result<TreeDigest> DigestTree(const std::string& root) {
  UniqueFd fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return FailErrno("open " + root);
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) return FailErrno("stat " + root);
  TreeWalker walker;
  walker.dev = st.st_dev;
  // The root itself: its permissions and owner count, its name does not.
  char header[64];
  std::snprintf(header, sizeof header, "d %04o %u %u", static_cast<unsigned>(st.st_mode & 07777),
                static_cast<unsigned>(st.st_uid), static_cast<unsigned>(st.st_gid));
  walker.tree.Update(".", 2);
  walker.tree.Update(header, std::strlen(header) + 1);
  walker.out.size_bytes += static_cast<uint64_t>(st.st_blocks) * 512;
  if (auto s = walker.Walk(fd.get(), "", 0); !s) return tl::unexpected(s.error().Wrap("digest " + root));
  walker.out.digest = "sha256:" + walker.tree.HexDigest();
  return walker.out;
}

}  // namespace runlet::image
