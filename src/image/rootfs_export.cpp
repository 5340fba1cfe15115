#include "image/rootfs_export.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <vector>

#include "core/unique_fd.h"
#include "image/archive_error.h"
#include "image/fs_tree.h"

namespace runlet::image {
namespace {

constexpr int kMaxDepth = 1024;

struct WriterDeleter {
  void operator()(struct archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
  void operator()(struct archive_entry* e) const { archive_entry_free(e); }
};

class Exporter {
 public:
  explicit Exporter(struct archive* a) : a_(a) {}
  Status Walk(int dirfd, const std::string& prefix, int depth);
  ExportStats stats;

 private:
  Status AddEntry(int dirfd, const std::string& name, const std::string& path, const struct stat& st);
  Status WriteHeader(struct archive_entry* e, const std::string& path);

  struct archive* a_;
  std::map<std::pair<dev_t, ino_t>, std::string> linked_;  // first path of each multiply-linked inode
};

Status Exporter::WriteHeader(struct archive_entry* e, const std::string& path) {
  if (archive_write_header(a_, e) < ARCHIVE_WARN) return Fail(path + ": " + ArchiveError(a_));
  stats.entries++;
  return {};
}

Status Exporter::AddEntry(int dirfd, const std::string& name, const std::string& path, const struct stat& st) {
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode)) {
    stats.skipped_special++;
    return {};
  }
  std::unique_ptr<struct archive_entry, EntryDeleter> e(archive_entry_new());
  archive_entry_set_pathname(e.get(), path.c_str());
  archive_entry_set_uid(e.get(), st.st_uid);
  archive_entry_set_gid(e.get(), st.st_gid);
  archive_entry_set_perm(e.get(), st.st_mode & 07777);
  archive_entry_set_mtime(e.get(), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);

  if (S_ISDIR(st.st_mode)) {
    archive_entry_set_filetype(e.get(), AE_IFDIR);
    return WriteHeader(e.get(), path);
  }
  if (S_ISLNK(st.st_mode)) {
    std::string target(4096, '\0');
    ssize_t n = ::readlinkat(dirfd, name.c_str(), target.data(), target.size());
    if (n < 0) return FailErrno("readlink " + path);
    target.resize(static_cast<size_t>(n));
    archive_entry_set_filetype(e.get(), AE_IFLNK);
    archive_entry_set_symlink(e.get(), target.c_str());
    return WriteHeader(e.get(), path);
  }
  archive_entry_set_filetype(e.get(), AE_IFREG);
  if (st.st_nlink > 1) {
    auto [it, first] = linked_.try_emplace({st.st_dev, st.st_ino}, path);
    if (!first) {
      archive_entry_set_hardlink(e.get(), it->second.c_str());
      archive_entry_set_size(e.get(), 0);
      return WriteHeader(e.get(), path);
    }
  }
  UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return FailErrno("open " + path);
  archive_entry_set_size(e.get(), st.st_size);
  if (auto s = WriteHeader(e.get(), path); !s) return s;
  std::vector<char> buf(1 << 17);
  for (uint64_t left = static_cast<uint64_t>(st.st_size); left > 0;) {
    ssize_t n = ::read(fd.get(), buf.data(), std::min<uint64_t>(buf.size(), left));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return FailErrno("read " + path);
    if (n == 0) break;  // shrank meanwhile: the writer pads the entry with zeros
    if (archive_write_data(a_, buf.data(), static_cast<size_t>(n)) < 0)
      return Fail(path + ": " + ArchiveError(a_));
    left -= static_cast<uint64_t>(n);
    stats.bytes += static_cast<uint64_t>(n);
  }
  return {};
}

Status Exporter::Walk(int dirfd, const std::string& prefix, int depth) {
  if (depth > kMaxDepth) return Fail(prefix + ": directory tree too deep");
  auto names = DirEntries(dirfd, prefix);
  if (!names) return tl::unexpected(names.error());
  std::sort(names->begin(), names->end());
  for (const auto& name : *names) {
    const std::string path = prefix.empty() ? name : prefix + "/" + name;
    struct stat st {};
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) return FailErrno("stat " + path);
    if (auto s = AddEntry(dirfd, name, path, st); !s) return s;
    if (S_ISDIR(st.st_mode)) {
      UniqueFd sub(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub) return FailErrno("open " + path);
      if (auto s = Walk(sub.get(), path, depth + 1); !s) return s;
    }
  }
  return {};
}

}  // namespace

Result<ExportStats> ExportRootfs(const std::string& root, const std::string& out_file) {
  UniqueFd root_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root_fd) return FailErrno("open " + root);
  const bool to_stdout = out_file == "-";
  std::string tmp;
  UniqueFd out;
  if (to_stdout) {
    out.Reset(::fcntl(1, F_DUPFD_CLOEXEC, 0));
    if (!out) return FailErrno("dup stdout");
  } else {
    tmp = out_file + ".tmp-XXXXXX";
    out.Reset(::mkostemp(tmp.data(), O_CLOEXEC));
    if (!out) return FailErrno("create " + tmp);
  }
  auto discard = [&] {
    if (!tmp.empty()) ::unlink(tmp.c_str());
  };

  std::unique_ptr<struct archive, WriterDeleter> a(archive_write_new());
  archive_write_set_format_pax_restricted(a.get());
  archive_write_set_bytes_in_last_block(a.get(), 1);
  if (archive_write_open_fd(a.get(), out.get()) != ARCHIVE_OK) {
    discard();
    return Fail(std::string("open tar writer: ") + ArchiveError(a.get()));
  }
  Exporter exporter(a.get());
  if (auto s = exporter.Walk(root_fd.get(), "", 0); !s) {
    discard();
    return tl::unexpected(s.error().Wrap("export " + root));
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    discard();
    return Fail(std::string("finish tar: ") + ArchiveError(a.get()));
  }
  if (!to_stdout) {
    if (::fchmod(out.get(), 0644) < 0 || ::fsync(out.get()) < 0 || ::rename(tmp.c_str(), out_file.c_str()) < 0) {
      int err = errno;
      discard();
      return FailErrno("write " + out_file, err);
    }
  }
  return exporter.stats;
}

}  // namespace runlet::image
