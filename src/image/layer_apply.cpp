#include "image/layer_apply.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/unique_fd.h"
#include "image/archive_error.h"
#include "image/archive_path.h"
#include "image/fs_tree.h"

namespace runlet::image {
namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kWhiteoutMeta = ".wh..wh.";  // aufs bookkeeping, and the opaque marker
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";

struct ArchiveDeleter {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<struct archive, ArchiveDeleter>;

// Opens the directory holding parts.back(): every component with O_NOFOLLOW below
// `root_fd`, so the walk cannot leave the root. With `create`, missing directories are
// made (0755, owned by whoever runs the import, as tar does).
Result<UniqueFd> OpenParent(int root_fd, const std::vector<std::string>& parts, bool create) {
  UniqueFd dir(::fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
  if (!dir) return FailErrno("dup root");
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const char* name = parts[i].c_str();
    int fd = ::openat(dir.get(), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
      const bool made = ::mkdirat(dir.get(), name, 0755) == 0;
      if (!made && errno != EEXIST) return FailErrno("mkdir " + JoinPath(parts, i + 1));
      fd = ::openat(dir.get(), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (made && fd >= 0) (void)::fchmod(fd, 0755);  // whatever the umask
    }
    if (fd < 0) {
      int err = errno;
      struct stat st {};
      if ((err == ELOOP || err == ENOTDIR) && ::fstatat(dir.get(), name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISLNK(st.st_mode))
          return Fail("\"" + JoinPath(parts, i + 1) + "\" is a symlink; entries may not be written through symlinks");
        return Fail("\"" + JoinPath(parts, i + 1) + "\" is not a directory");
      }
      return FailErrno("open " + JoinPath(parts, i + 1), err);
    }
    dir.Reset(fd);
  }
  return dir;
}

// Makes room for a new entry called `name` in `dir`: keeps an existing directory when the
// new entry is one too (layers merge directories), removes anything else.
Result<bool> ClearSlot(int dir, const std::string& name, bool new_is_dir) {
  struct stat st {};
  if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return false;
    return FailErrno("stat");
  }
  if (S_ISDIR(st.st_mode) && new_is_dir) return true;
  if (auto s = RemoveTreeAt(dir, name); !s) return tl::unexpected(s.error());
  return false;
}

// Owner changes fail for an unprivileged import; then files keep the importer's ids.
bool ChownMayFail() { return ::geteuid() != 0; }

class LayerApplier {
 public:
  LayerApplier(int root_fd, const ExtractLimits& limits, ExtractStats& stats)
      : root_fd_(root_fd), limits_(limits), stats_(stats) {}

  Status Apply(struct archive* a);

 private:
  Status ApplyEntry(struct archive* a, struct archive_entry* e, const std::vector<std::string>& parts);
  Status ApplyWhiteout(const std::vector<std::string>& parts);
  Status WriteFile(struct archive* a, struct archive_entry* e, int dir, const std::string& name);
  Status MakeDir(struct archive_entry* e, int dir, const std::string& name);
  Status MakeSymlink(struct archive_entry* e, int dir, const std::string& name);
  Status MakeHardLink(struct archive_entry* e, int dir, const std::string& name, const std::string& path);
  mode_t SafeMode(struct archive_entry* e, mode_t keep);
  Status SetOwner(int fd, const char* name, struct archive_entry* e, int flags);

  int root_fd_;
  const ExtractLimits& limits_;
  ExtractStats& stats_;
  std::unordered_set<std::string> created_;  // paths this layer created; whiteouts spare them
};

mode_t LayerApplier::SafeMode(struct archive_entry* e, mode_t keep) {
  mode_t mode = archive_entry_perm(e);
  if (mode & (S_ISUID | S_ISGID)) stats_.stripped_setid++;
  return mode & keep;
}

Status LayerApplier::SetOwner(int fd, const char* name, struct archive_entry* e, int flags) {
  la_int64_t uid = archive_entry_uid(e);
  la_int64_t gid = archive_entry_gid(e);
  if (uid < 0 || gid < 0 || uid >= 0xFFFFFFFF || gid >= 0xFFFFFFFF) return Fail("owner ids out of range");
  int rc = name ? ::fchownat(fd, name, static_cast<uid_t>(uid), static_cast<gid_t>(gid), flags)
                : ::fchown(fd, static_cast<uid_t>(uid), static_cast<gid_t>(gid));
  if (rc < 0 && !(errno == EPERM && ChownMayFail())) return FailErrno("chown");
  return {};
}

Status LayerApplier::Apply(struct archive* a) {
  for (;;) {
    struct archive_entry* e = nullptr;
    int rc = archive_read_next_header(a, &e);
    if (rc == ARCHIVE_EOF) return {};
    if (rc < ARCHIVE_WARN) return Fail(std::string("read tar: ") + ArchiveError(a));
    if (++stats_.entries > limits_.max_entries)
      return Fail("more than " + std::to_string(limits_.max_entries) + " entries (the import limit)");
    const char* raw = archive_entry_pathname(e);
    if (!raw) return Fail("an entry without a readable path");
    auto parts = SplitArchivePath(raw, limits_.max_path_bytes);
    if (!parts) return tl::unexpected(parts.error().Wrap(std::string("entry \"") + raw + "\""));
    if (parts->empty()) continue;  // "./": the root itself keeps its own metadata
    if (auto s = ApplyEntry(a, e, *parts); !s) return tl::unexpected(s.error().Wrap(std::string("entry \"") + raw + "\""));
  }
}

Status LayerApplier::ApplyEntry(struct archive* a, struct archive_entry* e, const std::vector<std::string>& parts) {
  const std::string& name = parts.back();
  if (name.compare(0, kWhiteoutPrefix.size(), kWhiteoutPrefix) == 0) return ApplyWhiteout(parts);

  const char* hardlink = archive_entry_hardlink(e);
  const mode_t type = archive_entry_filetype(e);
  if (!hardlink && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
    stats_.skipped_special++;  // device node, fifo or socket: never created
    return {};
  }
  auto dir = OpenParent(root_fd_, parts, /*create=*/true);
  if (!dir) return tl::unexpected(dir.error());
  const std::string path = JoinPath(parts, parts.size());
  Status s;
  if (hardlink) {
    s = MakeHardLink(e, dir->get(), name, path);
  } else if (type == AE_IFDIR) {
    s = MakeDir(e, dir->get(), name);
  } else if (type == AE_IFLNK) {
    s = MakeSymlink(e, dir->get(), name);
  } else {
    s = WriteFile(a, e, dir->get(), name);
  }
  if (s) created_.insert(path);
  return s;
}

Status LayerApplier::ApplyWhiteout(const std::vector<std::string>& parts) {
  const std::string& marker = parts.back();
  auto dir = OpenParent(root_fd_, parts, /*create=*/marker == kOpaqueMarker);
  if (!dir) {
    // Nothing below to hide when the directory does not exist at all.
    if (dir.error().sys_errno == ENOENT) return {};
    return tl::unexpected(dir.error());
  }
  const std::string parent_path = JoinPath(parts, parts.size() - 1);
  auto child_path = [&](const std::string& child) { return parent_path.empty() ? child : parent_path + "/" + child; };
  stats_.whiteouts++;

  if (marker == kOpaqueMarker) {
    // Opaque directory: hide everything the lower layers put there.
    auto names = DirEntries(dir->get(), "an opaque directory");
    if (!names) return tl::unexpected(names.error());
    for (const auto& n : *names) {
      if (created_.count(child_path(n))) continue;
      if (auto s = RemoveTreeAt(dir->get(), n); !s) return s;
    }
    return {};
  }
  if (marker.compare(0, kWhiteoutMeta.size(), kWhiteoutMeta) == 0) return {};  // other aufs metadata

  const std::string hidden = marker.substr(kWhiteoutPrefix.size());
  if (hidden.empty() || hidden == "." || hidden == "..") return Fail("whiteout of an invalid name");
  if (created_.count(child_path(hidden))) return {};
  return RemoveTreeAt(dir->get(), hidden);
}

Status LayerApplier::MakeDir(struct archive_entry* e, int dir, const std::string& name) {
  auto existed = ClearSlot(dir, name, /*new_is_dir=*/true);
  if (!existed) return tl::unexpected(existed.error());
  if (!*existed && ::mkdirat(dir, name.c_str(), 0700) < 0) return FailErrno("mkdir");
  UniqueFd fd(::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return FailErrno("open");
  if (auto s = SetOwner(fd.get(), nullptr, e, 0); !s) return s;
  if (::fchmod(fd.get(), SafeMode(e, 01777)) < 0) return FailErrno("chmod");
  return {};
}

Status LayerApplier::MakeSymlink(struct archive_entry* e, int dir, const std::string& name) {
  const char* target = archive_entry_symlink(e);
  if (!target || !*target) return Fail("symlink without a target");
  if (std::strlen(target) >= 4096) return Fail("symlink target longer than 4095 bytes");
  auto existed = ClearSlot(dir, name, /*new_is_dir=*/false);
  if (!existed) return tl::unexpected(existed.error());
  // The target is stored as it is and never followed here: inside a sandbox it resolves
  // against the sandbox's own root.
  if (::symlinkat(target, dir, name.c_str()) < 0) return FailErrno("symlink");
  if (auto s = SetOwner(dir, name.c_str(), e, AT_SYMLINK_NOFOLLOW); !s) return s;
  struct timespec times[2] = {{archive_entry_mtime(e), archive_entry_mtime_nsec(e)},
                              {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
  (void)::utimensat(dir, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
  return {};
}

Status LayerApplier::MakeHardLink(struct archive_entry* e, int dir, const std::string& name,
                                  const std::string& path) {
  const char* raw_target = archive_entry_hardlink(e);
  auto target = SplitArchivePath(raw_target, limits_.max_path_bytes);
  if (!target) return tl::unexpected(target.error().Wrap(std::string("hard link to \"") + raw_target + "\""));
  if (target->empty()) return Fail("hard link to the root directory");
  if (JoinPath(*target, target->size()) == path) return {};  // a link to itself changes nothing
  auto target_dir = OpenParent(root_fd_, *target, /*create=*/false);
  if (!target_dir) return tl::unexpected(target_dir.error().Wrap(std::string("hard link to \"") + raw_target + "\""));
  struct stat st {};
  if (::fstatat(target_dir->get(), target->back().c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
    return FailErrno(std::string("hard link to \"") + raw_target + "\"");
  if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
    return Fail(std::string("hard link to \"") + raw_target + "\", which is not a regular file");
  auto existed = ClearSlot(dir, name, /*new_is_dir=*/false);
  if (!existed) return tl::unexpected(existed.error());
  // flags 0: a symlink target is linked itself, never followed.
  if (::linkat(target_dir->get(), target->back().c_str(), dir, name.c_str(), 0) < 0) return FailErrno("link");
  return {};
}

Status LayerApplier::WriteFile(struct archive* a, struct archive_entry* e, int dir, const std::string& name) {
  const la_int64_t declared = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
  if (declared < 0) return Fail("negative size");
  const uint64_t size = static_cast<uint64_t>(declared);
  if (size > limits_.max_bytes - std::min(stats_.bytes, limits_.max_bytes))
    return Fail("its " + HumanBytes(size) + " would take the image past the limit of " + HumanBytes(limits_.max_bytes) +
                " of file contents (" + HumanBytes(stats_.bytes) + " so far)");
  auto existed = ClearSlot(dir, name, /*new_is_dir=*/false);
  if (!existed) return tl::unexpected(existed.error());
  UniqueFd fd(::openat(dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return FailErrno("create");
  for (;;) {
    const void* buf = nullptr;
    size_t len = 0;
    la_int64_t offset = 0;
    int rc = archive_read_data_block(a, &buf, &len, &offset);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) return Fail(std::string("read data: ") + ArchiveError(a));
    if (offset < 0 || static_cast<uint64_t>(offset) > size || len > size - static_cast<uint64_t>(offset))
      return Fail("data beyond the declared size");
    const char* p = static_cast<const char*>(buf);
    while (len > 0) {
      ssize_t n = ::pwrite(fd.get(), p, len, offset);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return FailErrno("write");
      p += n;
      len -= static_cast<size_t>(n);
      offset += n;
    }
  }
  // Sparse files end in a hole the data blocks do not cover.
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) < 0) return FailErrno("truncate");
  stats_.bytes += size;
  // chown before chmod: chown would clear setuid bits anyway, and these are stripped.
  if (auto s = SetOwner(fd.get(), nullptr, e, 0); !s) return s;
  if (::fchmod(fd.get(), SafeMode(e, 0777)) < 0) return FailErrno("chmod");
  struct timespec times[2] = {{archive_entry_mtime(e), archive_entry_mtime_nsec(e)},
                              {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
  (void)::futimens(fd.get(), times);
  return {};
}

}  // namespace

Status ApplyLayer(int root_fd, const std::string& layer_path, const ExtractLimits& limits, ExtractStats& stats) {
  ArchivePtr a(archive_read_new());
  if (!a) return Fail("archive_read_new: out of memory");
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_bzip2(a.get());
  archive_read_support_filter_xz(a.get());
  archive_read_support_filter_zstd(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_empty(a.get());
  if (archive_read_open_filename(a.get(), layer_path.c_str(), 1 << 16) != ARCHIVE_OK)
    return Fail(std::string("open layer: ") + ArchiveError(a.get()));
  LayerApplier applier(root_fd, limits, stats);
  return applier.Apply(a.get());
}

}  // namespace runlet::image
