#include "image/project_archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <locale.h>

#include <ctime>
#include <memory>
#include <set>

#include "core/files.h"
#include "core/utf8.h"
#include "image/archive_error.h"
#include "image/archive_path.h"

namespace runlet::image {
namespace {

struct ReaderDeleter {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
struct WriterDeleter {
  void operator()(struct archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
  void operator()(struct archive_entry* e) const { archive_entry_free(e); }
};

// Folders and other entries that carry no file: at most this many beside the files.
constexpr uint64_t kMaxOtherEntries = 10'000;

// libarchive converts names between an archive's charset and the thread's locale; the
// server runs in the C locale, where a UTF-8 name cannot be converted and would come
// back empty. File names here are UTF-8: this thread uses C.UTF-8 while the guard lives.
class Utf8Names {
 public:
  Utf8Names() : utf8_(newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0))) {
    if (utf8_) old_ = uselocale(utf8_);
  }
  ~Utf8Names() {
    if (!utf8_) return;
    uselocale(old_);
    freelocale(utf8_);
  }
  Utf8Names(const Utf8Names&) = delete;
  Utf8Names& operator=(const Utf8Names&) = delete;

 private:
  locale_t utf8_;
  locale_t old_ = static_cast<locale_t>(0);
};

la_ssize_t AppendTo(struct archive*, void* out, const void* buffer, size_t length) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

const char* KindOf(mode_t type) {
  switch (type) {
    case AE_IFLNK: return "a symbolic link";
    case AE_IFCHR: return "a character device";
    case AE_IFBLK: return "a block device";
    case AE_IFIFO: return "a FIFO";
    case AE_IFSOCK: return "a socket";
    default: return "not a regular file";
  }
}

}  // namespace

Result<std::string> WriteProjectZip(const std::vector<ProjectFile>& files) {
  Utf8Names utf8;
  std::unique_ptr<struct archive, WriterDeleter> a(archive_write_new());
  if (!a) return Fail("archive_write_new: out of memory");
  std::string out;
  if (archive_write_set_format_zip(a.get()) != ARCHIVE_OK || archive_write_zip_set_compression_deflate(a.get()) != ARCHIVE_OK)
    return Fail("zip: " + ArchiveError(a.get()));
  (void)archive_write_set_option(a.get(), "zip", "hdrcharset", "UTF-8");  // names are UTF-8: say so in the zip
  if (archive_write_open(a.get(), &out, nullptr, AppendTo, nullptr) != ARCHIVE_OK)
    return Fail("zip: " + ArchiveError(a.get()));
  const time_t now = std::time(nullptr);
  for (const auto& f : files) {
    std::unique_ptr<struct archive_entry, EntryDeleter> e(archive_entry_new());
    if (!e) return Fail("archive_entry_new: out of memory");
    archive_entry_set_pathname_utf8(e.get(), f.path.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(f.content.size()));
    archive_entry_set_mtime(e.get(), now, 0);
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK) return Fail(f.path + ": " + ArchiveError(a.get()));
    if (!f.content.empty() &&
        archive_write_data(a.get(), f.content.data(), f.content.size()) != static_cast<la_ssize_t>(f.content.size()))
      return Fail(f.path + ": " + ArchiveError(a.get()));
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) return Fail("zip: " + ArchiveError(a.get()));
  return out;
}

Result<std::vector<ProjectFile>> ReadProjectArchive(std::string_view data, const ProjectArchiveLimits& limits) {
  Utf8Names utf8;
  std::unique_ptr<struct archive, ReaderDeleter> a(archive_read_new());
  if (!a) return Fail("archive_read_new: out of memory");
  archive_read_support_format_zip(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_bzip2(a.get());
  archive_read_support_filter_xz(a.get());
  archive_read_support_filter_zstd(a.get());
  if (data.empty()) return Fail(ErrorKind::kInvalid, "the archive is empty");
  if (archive_read_open_memory(a.get(), data.data(), data.size()) != ARCHIVE_OK)
    return Fail(ErrorKind::kInvalid, "not a zip or tar archive: " + ArchiveError(a.get()));

  std::vector<ProjectFile> files;
  std::set<std::string> seen;
  uint64_t total = 0;
  uint64_t others = 0;
  std::string chunk(64 << 10, '\0');
  for (;;) {
    struct archive_entry* e = nullptr;
    const int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return Fail(ErrorKind::kInvalid, "the archive is damaged: " + ArchiveError(a.get()));
    const char* raw = archive_entry_pathname_utf8(e);
    if (!raw) raw = archive_entry_pathname(e);
    const std::string name = raw ? raw : "";
    if (name.empty()) return Fail(ErrorKind::kInvalid, "an entry of the archive has a name that cannot be read");
    if (!IsValidUtf8(name)) return Fail(ErrorKind::kInvalid, "a name in the archive is not UTF-8");
    auto parts = SplitArchivePath(name);
    if (!parts) return Fail(ErrorKind::kInvalid, "\"" + name + "\": " + parts.error().message);
    const mode_t type = archive_entry_filetype(e);
    if (type == AE_IFDIR || parts->empty()) {
      if (++others > kMaxOtherEntries) return Fail(ErrorKind::kTooLarge, "the archive has too many folders");
      continue;
    }
    const std::string path = JoinPath(*parts, parts->size());
    if (archive_entry_hardlink(e) != nullptr)
      return Fail(ErrorKind::kInvalid, path + " is a hard link: only regular files can be imported");
    if (type != AE_IFREG)
      return Fail(ErrorKind::kInvalid, path + " is " + KindOf(type) + ": only regular files can be imported");
    if (auto why = CheckRelativePath(path); !why.empty())
      return Fail(ErrorKind::kInvalid, "file path \"" + path + "\": " + why);
    if (!seen.insert(path).second) return Fail(ErrorKind::kInvalid, path + " is in the archive twice");
    if (files.size() + 1 > limits.files)
      return Fail(ErrorKind::kTooLarge, "a project may hold at most " + std::to_string(limits.files) + " files");
    ProjectFile f{path, {}};
    for (;;) {
      const la_ssize_t n = archive_read_data(a.get(), chunk.data(), chunk.size());
      if (n == 0) break;
      if (n < 0) return Fail(ErrorKind::kInvalid, path + ": the archive is damaged: " + ArchiveError(a.get()));
      if (f.content.size() + static_cast<size_t>(n) > limits.file_bytes)
        return Fail(ErrorKind::kTooLarge, path + ": a file may hold at most " + std::to_string(limits.file_bytes) + " bytes");
      total += static_cast<uint64_t>(n);
      if (total > limits.total_bytes)
        return Fail(ErrorKind::kTooLarge,
                    "the files hold more than a project may (" + std::to_string(limits.total_bytes) + " bytes)");
      f.content.append(chunk.data(), static_cast<size_t>(n));
    }
    files.push_back(std::move(f));
  }
  return files;
}

}  // namespace runlet::image
