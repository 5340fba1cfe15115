#include "image/image_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <map>
#include <memory>

#include "core/unique_fd.h"
#include "image/archive_error.h"
#include "image/archive_path.h"
#include "image/fs_tree.h"
#include "image/sha256.h"

namespace runlet::image {
namespace {

namespace json = boost::json;

constexpr size_t kMaxJsonBytes = 4 << 20;
constexpr uint64_t kMaxArchiveEntries = 100'000;
constexpr int kMaxLinkHops = 16;
constexpr int kMaxIndexDepth = 4;

struct ArchiveDeleter {
  void operator()(struct archive* a) const { archive_read_free(a); }
};

// The archive's files by normalized name.
class ArchiveFiles {
 public:
  Status Unpack(const std::string& tarball, const std::string& scratch, const ExtractLimits& limits);
  // The scratch file holding archive path `name`, following the archive's own symlinks.
  Result<std::string> Find(std::string_view name) const;
  bool Has(std::string_view name) const { return Find(name).has_value(); }
  Result<json::value> ReadJson(std::string_view name) const;

 private:
  std::map<std::string, std::string> files_;  // archive path -> scratch file
  std::map<std::string, std::string> links_;  // archive path -> archive path it points to
};

Status ArchiveFiles::Unpack(const std::string& tarball, const std::string& scratch, const ExtractLimits& limits) {
  std::unique_ptr<struct archive, ArchiveDeleter> a(archive_read_new());
  if (!a) return Fail("archive_read_new: out of memory");
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_bzip2(a.get());
  archive_read_support_filter_xz(a.get());
  archive_read_support_filter_zstd(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), tarball.c_str(), 1 << 16) != ARCHIVE_OK)
    return Fail(std::string("open: ") + ArchiveError(a.get()));

  uint64_t bytes = 0;
  uint64_t entries = 0;
  std::vector<char> buf(1 << 16);
  for (;;) {
    struct archive_entry* e = nullptr;
    int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) return Fail(std::string("read: ") + ArchiveError(a.get()));
    if (++entries > kMaxArchiveEntries) return Fail("more than " + std::to_string(kMaxArchiveEntries) + " entries");
    const char* raw = archive_entry_pathname(e);
    if (!raw) return Fail("an entry without a readable path");
    auto parts = SplitArchivePath(raw, limits.max_path_bytes);
    if (!parts) return tl::unexpected(parts.error().Wrap(std::string("entry \"") + raw + "\""));
    if (parts->empty()) continue;
    const std::string name = JoinPath(*parts, parts->size());

    if (const char* hard = archive_entry_hardlink(e)) {
      auto target = SplitArchivePath(hard, limits.max_path_bytes);
      if (target && !target->empty()) links_[name] = JoinPath(*target, target->size());
      continue;
    }
    const mode_t type = archive_entry_filetype(e);
    if (type == AE_IFLNK) {
      // Resolved by name, relative to the link's directory; one that climbs out of the
      // archive resolves to nothing.
      std::string_view target = archive_entry_symlink(e) ? archive_entry_symlink(e) : "";
      std::vector<std::string> resolved(parts->begin(), parts->end() - 1);
      if (!target.empty() && target.front() == '/') resolved.clear();
      bool escaped = false;
      size_t start = 0;
      while (start <= target.size()) {
        size_t end = target.find('/', start);
        if (end == std::string_view::npos) end = target.size();
        std::string_view part = target.substr(start, end - start);
        start = end + 1;
        if (part.empty() || part == ".") continue;
        if (part == "..") {
          if (resolved.empty()) {
            escaped = true;
            break;
          }
          resolved.pop_back();
        } else {
          resolved.emplace_back(part);
        }
      }
      if (!escaped && !resolved.empty()) links_[name] = JoinPath(resolved, resolved.size());
      continue;
    }
    if (type != AE_IFREG) continue;

    const la_int64_t size = archive_entry_size(e);
    if (size < 0 || static_cast<uint64_t>(size) > limits.max_bytes - bytes)
      return Fail(std::string("entry \"") + raw + "\": the archive is larger than the limit of " +
                  HumanBytes(limits.max_bytes));
    const std::string file = scratch + "/" + std::to_string(files_.size());
    UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) return FailErrno("create " + file);
    uint64_t written = 0;
    for (;;) {
      la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
      if (n == 0) break;
      if (n < 0) return Fail(std::string("entry \"") + raw + "\": " + ArchiveError(a.get()));
      written += static_cast<uint64_t>(n);
      if (written > static_cast<uint64_t>(size)) return Fail(std::string("entry \"") + raw + "\": data beyond its size");
      for (la_ssize_t off = 0; off < n;) {
        ssize_t w = ::write(fd.get(), buf.data() + off, static_cast<size_t>(n - off));
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return FailErrno("write " + file);
        off += w;
      }
    }
    bytes += written;
    files_[name] = file;
    links_.erase(name);
  }
  return {};
}

Result<std::string> ArchiveFiles::Find(std::string_view raw) const {
  auto parts = SplitArchivePath(raw);
  if (!parts || parts->empty()) return Fail("invalid archive path \"" + std::string(raw) + "\"");
  std::string name = JoinPath(*parts, parts->size());
  for (int hop = 0; hop <= kMaxLinkHops; ++hop) {
    if (auto f = files_.find(name); f != files_.end()) return f->second;
    auto l = links_.find(name);
    if (l == links_.end()) break;
    name = l->second;
  }
  return Fail("the archive has no file \"" + std::string(raw) + "\"");
}

Result<json::value> ArchiveFiles::ReadJson(std::string_view name) const {
  auto file = Find(name);
  if (!file) return tl::unexpected(file.error());
  auto text = ReadSmallFile(*file, kMaxJsonBytes);
  if (!text) return tl::unexpected(text.error().Wrap(std::string(name)));
  boost::system::error_code ec;
  json::value v = json::parse(*text, ec);
  if (ec) return Fail(std::string(name) + ": invalid JSON: " + ec.message());
  return v;
}

const json::value* Field(const json::value& v, std::string_view key) {
  const auto* obj = v.if_object();
  return obj ? obj->if_contains(key) : nullptr;
}

std::string StringField(const json::value& v, std::string_view key) {
  const json::value* f = Field(v, key);
  return f && f->is_string() ? std::string(f->get_string()) : std::string();
}

std::string HostArchitecture() {
  struct utsname u {};
  ::uname(&u);
  std::string_view m = u.machine;
  if (m == "x86_64") return "amd64";
  if (m == "aarch64") return "arm64";
  return std::string(m);
}

// Finds a blob by descriptor and checks its digest.
Result<std::string> Blob(const ArchiveFiles& files, const json::value& descriptor) {
  const std::string digest = StringField(descriptor, "digest");
  if (!IsSha256Digest(digest)) return Fail("descriptor digest \"" + digest + "\" is not sha256:<64 hex digits>");
  const std::string name = "blobs/sha256/" + digest.substr(7);
  auto file = files.Find(name);
  if (!file) return tl::unexpected(file.error());
  auto hex = Sha256OfFile(*file);
  if (!hex) return tl::unexpected(hex.error());
  if ("sha256:" + *hex != digest) return Fail(name + ": content does not match its digest");
  return *file;
}

bool IsIndexType(std::string_view media_type) {
  return media_type == "application/vnd.oci.image.index.v1+json" ||
         media_type == "application/vnd.docker.distribution.manifest.list.v2+json";
}

// Picks the manifest for this host from an index's "manifests".
Result<const json::value*> PickManifest(const json::value& index, std::string& note) {
  const json::value* manifests = Field(index, "manifests");
  if (!manifests || !manifests->is_array() || manifests->get_array().empty())
    return Fail("the index lists no manifests");
  const auto& list = manifests->get_array();
  if (list.size() == 1) return &list[0];
  const std::string arch = HostArchitecture();
  for (const auto& m : list) {
    const json::value* platform = Field(m, "platform");
    if (platform && StringField(*platform, "os") == "linux" && StringField(*platform, "architecture") == arch) {
      note = "chose the linux/" + arch + " manifest of " + std::to_string(list.size());
      return &m;
    }
  }
  for (const auto& m : list) {
    if (!Field(m, "platform")) {
      note = "chose the first of " + std::to_string(list.size()) + " manifests";
      return &m;
    }
  }
  return Fail("the index has no manifest for linux/" + arch);
}

Result<ImageArchive> ReadOciLayout(const ArchiveFiles& files) {
  ImageArchive out;
  out.format = "oci";
  auto index = files.ReadJson("index.json");
  if (!index) return tl::unexpected(index.error());
  json::value current = std::move(*index);
  for (int depth = 0;; ++depth) {
    if (depth > kMaxIndexDepth) return Fail("indexes nested deeper than " + std::to_string(kMaxIndexDepth));
    auto pick = PickManifest(current, out.note);
    if (!pick) return tl::unexpected(pick.error());
    const json::value descriptor = **pick;
    auto blob = Blob(files, descriptor);
    if (!blob) return tl::unexpected(blob.error().Wrap("manifest"));
    auto text = ReadSmallFile(*blob, kMaxJsonBytes);
    if (!text) return tl::unexpected(text.error().Wrap("manifest"));
    boost::system::error_code ec;
    json::value doc = json::parse(*text, ec);
    if (ec) return Fail("manifest " + StringField(descriptor, "digest") + ": invalid JSON: " + ec.message());
    std::string type = StringField(descriptor, "mediaType");
    if (type.empty()) type = StringField(doc, "mediaType");
    if (IsIndexType(type) || (type.empty() && Field(doc, "manifests"))) {
      current = std::move(doc);
      continue;
    }
    const json::value* layers = Field(doc, "layers");
    if (!layers || !layers->is_array()) return Fail("manifest " + StringField(descriptor, "digest") + " has no layers");
    for (const auto& layer : layers->get_array()) {
      auto file = Blob(files, layer);
      if (!file) return tl::unexpected(file.error().Wrap("layer"));
      out.layer_files.push_back(*file);
      out.layer_names.push_back(StringField(layer, "digest"));
    }
    return out;
  }
}

Result<ImageArchive> ReadDockerSave(const ArchiveFiles& files) {
  ImageArchive out;
  out.format = "docker-save";
  auto manifest = files.ReadJson("manifest.json");
  if (!manifest) return tl::unexpected(manifest.error());
  if (!manifest->is_array() || manifest->get_array().empty()) return Fail("manifest.json: no images");
  const auto& images = manifest->get_array();
  if (images.size() > 1) out.note = "the archive holds " + std::to_string(images.size()) + " images; imported the first";
  const json::value* layers = Field(images[0], "Layers");
  if (!layers || !layers->is_array()) return Fail("manifest.json: the image has no Layers");
  for (const auto& layer : layers->get_array()) {
    if (!layer.is_string()) return Fail("manifest.json: a layer that is not a path");
    const std::string name(layer.get_string());
    auto file = files.Find(name);
    if (!file) return tl::unexpected(file.error().Wrap("manifest.json"));
    out.layer_files.push_back(*file);
    out.layer_names.push_back(name);
  }
  return out;
}

}  // namespace

Result<ImageArchive> UnpackImageArchive(const std::string& tarball, const std::string& scratch_dir,
                                        const ExtractLimits& limits) {
  ArchiveFiles files;
  if (auto s = files.Unpack(tarball, scratch_dir, limits); !s) return tl::unexpected(s.error().Wrap(tarball));
  Result<ImageArchive> image;
  if (files.Has("index.json")) {
    image = ReadOciLayout(files);
  } else if (files.Has("manifest.json")) {
    image = ReadDockerSave(files);
  } else {
    return Fail(tarball + ": neither an OCI image layout (no index.json) nor a docker save archive (no manifest.json)");
  }
  if (!image) return tl::unexpected(image.error().Wrap(tarball));
  return image;
}

}  // namespace runlet::image
