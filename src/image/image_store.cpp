#include "image/image_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstdlib>
#include <ctime>
#include <set>

#include "core/files.h"
#include "core/unique_fd.h"
#include "image/archive_path.h"
#include "image/debootstrap.h"
#include "image/fs_tree.h"
#include "image/image_archive.h"
#include "image/layer_build.h"
#include "image/rootfs_export.h"
#include "image/sha256.h"
#include "image/tree_digest.h"
#include "image/tree_sanitize.h"

namespace runlet::image {
namespace {

namespace json = boost::json;

constexpr std::string_view kHost = "host";

std::string NowRfc3339() {
  std::time_t now = std::time(nullptr);
  std::tm tm {};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string NotFoundHint(std::string_view name) {
  const std::string n(name);
  return "image \"" + n + "\" not found: build it with `runlet image build " + n +
         " --suite bookworm --packages python3` or import it with `runlet image import " + n + " FILE`";
}

ImageInfo HostImage() {
  ImageInfo info;
  info.name = std::string(kHost);
  info.rootfs = "/";
  info.source = "host";
  return info;
}

// An exclusive flock on <images>/lock (or another lock file there) for the life of the object.
class StoreLock {
 public:
  static Result<StoreLock> Take(const std::string& images_dir, const std::string& file = "lock") {
    const std::string path = images_dir + "/" + file;
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) return FailErrno("open " + path);
    while (::flock(fd.get(), LOCK_EX) < 0) {
      if (errno != EINTR) return FailErrno("lock " + path);
    }
    return StoreLock(std::move(fd));
  }

 private:
  explicit StoreLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

std::vector<std::string> ListDir(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(path.c_str());
  if (!dir) return names;
  while (auto* e = ::readdir(dir)) {
    std::string_view n = e->d_name;
    if (!n.empty() && n.front() != '.') names.emplace_back(n);  // skips "." and "..", and temp files
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

// Removes what builds and imports of dead processes left in tmp ("<kind>-<pid>-XXXXXX").
void RemoveStaleTemps(const std::string& tmp_dir) {
  for (const auto& name : ListDir(tmp_dir)) {
    size_t dash = name.find('-');
    if (dash == std::string::npos) continue;
    pid_t pid = static_cast<pid_t>(std::atol(name.c_str() + dash + 1));
    if (pid <= 0 || (::kill(pid, 0) < 0 && errno == ESRCH)) (void)RemoveTree(tmp_dir + "/" + name);
  }
}

std::string MetadataJson(const ImageInfo& info, uint64_t entries) {
  json::object o;
  o["digest"] = info.digest;
  o["source"] = info.source;
  o["size_bytes"] = info.size_bytes;
  o["entries"] = entries;
  o["created"] = info.created;
  return json::serialize(o) + "\n";
}

Result<std::string> ReadRef(const std::string& refs_dir, std::string_view name) {
  auto text = ReadSmallFile(refs_dir + "/" + std::string(name), 4096);
  if (!text) return tl::unexpected(text.error());
  std::string digest = *text;
  while (!digest.empty() && (digest.back() == '\n' || digest.back() == ' ')) digest.pop_back();
  if (!IsSha256Digest(digest)) return Fail("refs/" + std::string(name) + ": not a sha256 digest");
  return digest;
}

}  // namespace

std::string DefaultDataDir() {
  const char* env = std::getenv("RUNLET_DATA");
  return env && *env ? std::string(env) : std::string("/var/lib/runlet");
}

std::string DebootstrapSource(const std::string& suite, const std::vector<std::string>& packages) {
  std::string source = "debootstrap " + suite;
  if (!packages.empty()) {
    source += ":";
    for (const auto& p : packages) source += " " + p;
  }
  return source;
}

std::string BaseImageName(const std::string& suite) { return "base-" + suite; }

std::string CheckImageName(std::string_view name) {
  if (name.empty() || name.size() > 64) return "an image name has 1 to 64 characters";
  auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_or_digit(name.front())) return "an image name starts with a lowercase letter or digit";
  for (char c : name) {
    if (!lower_or_digit(c) && c != '.' && c != '_' && c != '-')
      return "an image name has only lowercase letters, digits, '.', '_' and '-'";
  }
  return {};
}

ImageStore::ImageStore(std::string data_dir) : data_dir_(std::move(data_dir)) {
  while (data_dir_.size() > 1 && data_dir_.back() == '/') data_dir_.pop_back();
}

std::string ImageStore::blob_dir(const std::string& digest) const {
  return images_dir() + "/blobs/sha256/" + digest.substr(digest.find(':') + 1);
}

Status ImageStore::PrepareDirs() const {
  for (const char* sub : {"/blobs/sha256", "/refs", "/tmp"}) {
    if (auto s = MakeDirs(images_dir() + sub); !s) return s;
  }
  return {};
}

Result<ImageInfo> ImageStore::Resolve(std::string_view name) const {
  if (name == kHost) return HostImage();
  if (auto why = CheckImageName(name); !why.empty()) return Fail("image \"" + std::string(name) + "\": " + why);
  auto digest = ReadRef(images_dir() + "/refs", name);
  if (!digest) {
    if (digest.error().sys_errno == ENOENT) return Fail(NotFoundHint(name), ENOENT);
    return tl::unexpected(digest.error().Wrap("image \"" + std::string(name) + "\""));
  }
  const std::string dir = blob_dir(*digest);
  auto text = ReadSmallFile(dir + "/image.json");
  if (!text) return tl::unexpected(text.error().Wrap("image \"" + std::string(name) + "\""));
  boost::system::error_code ec;
  json::value meta = json::parse(*text, ec);
  if (ec || !meta.is_object()) return Fail("image \"" + std::string(name) + "\": " + dir + "/image.json is not valid");
  const auto& o = meta.get_object();
  ImageInfo info;
  info.name = std::string(name);
  info.digest = *digest;
  info.rootfs = dir + "/rootfs";
  if (const auto* v = o.if_contains("source"); v && v->is_string()) info.source = v->get_string();
  if (const auto* v = o.if_contains("created"); v && v->is_string()) info.created = v->get_string();
  if (const auto* v = o.if_contains("size_bytes"); v && (v->is_uint64() || v->is_int64()))
    info.size_bytes = v->to_number<uint64_t>();
  struct stat st {};
  if (::lstat(info.rootfs.c_str(), &st) < 0 || !S_ISDIR(st.st_mode))
    return Fail("image \"" + std::string(name) + "\": " + info.rootfs + " is missing");
  return info;
}

std::vector<ImageInfo> ImageStore::List() const {
  std::vector<ImageInfo> out = {HostImage()};
  for (const auto& name : ListDir(images_dir() + "/refs")) {
    if (!CheckImageName(name).empty()) continue;
    if (auto info = Resolve(name)) out.push_back(std::move(*info));
  }
  return out;
}

Result<ImageInfo> ImageStore::Commit(const std::string& name, TempDir& staging, const std::string& source,
                                     const ProgressFn& progress) {
  const std::string rootfs = staging.path() + "/rootfs";
  auto cleaned = SanitizeTree(rootfs);
  if (!cleaned) return tl::unexpected(cleaned.error());
  if (cleaned->replaced_own) {
    progress("replaced " + std::to_string(cleaned->replaced_own) + " top-level entries that Runlet provides itself (" +
             kRunletDir + ", or a mount point that was not a directory)");
  }
  if (cleaned->removed_special || cleaned->stripped_setid || cleaned->removed_caps) {
    progress("removed " + std::to_string(cleaned->removed_special) + " device nodes, fifos and sockets; stripped " +
             "setuid/setgid bits from " + std::to_string(cleaned->stripped_setid) + " and capabilities from " +
             std::to_string(cleaned->removed_caps) + " files");
  }
  progress("computing the digest");
  auto digest = DigestTree(rootfs);
  if (!digest) return tl::unexpected(digest.error());
  ImageInfo info;
  info.name = name;
  info.digest = digest->digest;
  info.source = source;
  info.size_bytes = digest->size_bytes;
  info.created = NowRfc3339();
  if (auto s = WriteFileAtomic(staging.path() + "/image.json", MetadataJson(info, digest->entries)); !s)
    return tl::unexpected(s.error());

  auto lock = StoreLock::Take(images_dir());
  if (!lock) return tl::unexpected(lock.error());
  const std::string blob = blob_dir(info.digest);
  struct stat st {};
  if (::lstat(blob.c_str(), &st) == 0) {
    progress("the same tree is already stored as " + info.digest + "; reusing it");
  } else {
    if (::chmod(staging.path().c_str(), 0755) < 0) return FailErrno("chmod " + staging.path());
    if (::rename(staging.path().c_str(), blob.c_str()) < 0) return FailErrno("rename " + staging.path() + " to " + blob);
    staging.Release();
  }
  const std::string refs = images_dir() + "/refs";
  auto old = ReadRef(refs, name);
  if (auto s = WriteFileAtomic(refs + "/" + name, info.digest + "\n"); !s) return tl::unexpected(s.error());
  if (old && *old != info.digest) {
    bool used = false;
    for (const auto& other : ListDir(refs)) {
      auto d = ReadRef(refs, other);
      used |= d && *d == *old;
    }
    if (!used) {
      progress("removing the replaced image " + *old);
      // Renamed away first, so nobody resolves a half-removed tree.
      const std::string doomed = images_dir() + "/tmp/gc-" + std::to_string(::getpid()) + "-" + old->substr(7, 12);
      if (::rename(blob_dir(*old).c_str(), doomed.c_str()) == 0) (void)RemoveTree(doomed);
    }
  }
  return Resolve(name);
}

Result<ImageInfo> ImageStore::Build(const std::string& name, const std::string& suite,
                                    const std::vector<std::string>& packages, const ProgressFn& progress) {
  if (auto why = CheckImageName(name); !why.empty()) return Fail("image \"" + name + "\": " + why);
  if (name == kHost) return Fail("\"host\" is the host's own root; choose another name");
  if (!IsKnownSuite(suite)) return Fail("unknown suite \"" + suite + "\" (bookworm, bullseye or trixie)");
  for (const auto& p : packages) {
    if (auto why = CheckPackageName(p); !why.empty()) return Fail("package \"" + p + "\": " + why);
  }
  if (auto s = PrepareDirs(); !s) return tl::unexpected(s.error());
  RemoveStaleTemps(images_dir() + "/tmp");
  auto staging = TempDir::Create(images_dir() + "/tmp", "build-" + std::to_string(::getpid()) + "-");
  if (!staging) return tl::unexpected(staging.error());
  DebootstrapSpec spec;
  spec.suite = suite;
  spec.packages = packages;
  spec.target = staging->path() + "/rootfs";
  if (::mkdir(spec.target.c_str(), 0755) < 0) return FailErrno("mkdir " + spec.target);
  if (auto s = RunDebootstrap(spec, progress); !s) return tl::unexpected(s.error().Wrap("build " + name));
  if (auto s = TidyDebianRootfs(spec.target); !s) return tl::unexpected(s.error().Wrap("build " + name));
  auto info = Commit(name, *staging, DebootstrapSource(suite, packages), progress);
  if (!info) return tl::unexpected(info.error().Wrap("build " + name));
  return info;
}

Result<ImageInfo> ImageStore::BuildLayered(const std::string& name, const std::string& suite,
                                           const std::vector<std::string>& packages, const ProgressFn& progress) {
  if (packages.empty()) return Build(name, suite, packages, progress);
  if (auto why = CheckImageName(name); !why.empty()) return Fail("image \"" + name + "\": " + why);
  if (name == kHost) return Fail("\"host\" is the host's own root; choose another name");
  if (!IsKnownSuite(suite)) return Fail("unknown suite \"" + suite + "\" (bookworm, bullseye or trixie)");
  for (const auto& p : packages) {
    if (auto why = CheckPackageName(p); !why.empty()) return Fail("package \"" + p + "\": " + why);
  }
  if (auto s = PrepareDirs(); !s) return tl::unexpected(s.error());
  auto wrap = [&](const Error& e) { return tl::unexpected(e.Wrap("build " + name)); };

  // One base per suite, built by whichever build gets here first.
  const std::string base_name = BaseImageName(suite);
  auto base = FindBuild(base_name, suite, {});
  if (!base) {
    auto lock = StoreLock::Take(images_dir(), "build-" + base_name + ".lock");
    if (!lock) return wrap(lock.error());
    base = FindBuild(base_name, suite, {});
    if (!base) {
      progress("building the shared base " + base_name + " (debootstrap " + suite + ", once for all its layers)");
      base = Build(base_name, suite, {}, progress);
      if (!base) return wrap(base.error());
    }
  }

  RemoveStaleTemps(images_dir() + "/tmp");
  auto staging = TempDir::Create(images_dir() + "/tmp", "layer-" + std::to_string(::getpid()) + "-");
  if (!staging) return wrap(staging.error());
  LayerInstallSpec spec;
  spec.base_rootfs = base->rootfs;
  spec.upper = staging->path() + "/upper";
  spec.work = staging->path() + "/work";
  spec.merged = staging->path() + "/merged";
  spec.debs = staging->path() + "/debs";
  spec.packages = packages;
  for (const auto& dir : {spec.upper, spec.work, spec.merged, spec.debs, spec.debs + "/partial",
                          staging->path() + "/rootfs"}) {
    if (::mkdir(dir.c_str(), 0755) < 0) return wrap(FailErrno("mkdir " + dir).value());
  }
  progress("installing " + DebootstrapSource(suite, packages).substr(12) + " over " + base_name + " " + base->digest);
  if (auto s = InstallLayer(spec, progress); !s) return wrap(s.error());
  for (const auto& dir : {spec.debs, spec.work, spec.merged}) {
    if (auto s = RemoveTree(dir); !s) return wrap(s.error());
  }
  const std::string rootfs = staging->path() + "/rootfs";
  auto merged = MergeLayer(base->rootfs, spec.upper, rootfs);
  if (!merged) return wrap(merged.error());
  progress("merged the layer: " + std::to_string(merged->linked) + " base entries linked, " +
           std::to_string(merged->moved) + " added or replaced, " + std::to_string(merged->whiteouts) + " deleted");
  if (auto s = RemoveTree(spec.upper); !s) return wrap(s.error());
  if (auto s = TidyDebianRootfs(rootfs); !s) return wrap(s.error());
  auto info = Commit(name, *staging, DebootstrapSource(suite, packages), progress);
  if (!info) return wrap(info.error());
  return info;
}

Result<ImageInfo> ImageStore::FindBuild(const std::string& name, const std::string& suite,
                                        const std::vector<std::string>& packages) const {
  auto info = Resolve(name);
  if (!info) return info;
  const std::string wanted = DebootstrapSource(suite, packages);
  if (info->source != wanted)
    return Fail("image \"" + name + "\" was made by \"" + info->source + "\", not \"" + wanted + "\"");
  return info;
}

Result<ImageInfo> ImageStore::Import(const std::string& name, const std::string& tarball, const ProgressFn& progress) {
  if (auto why = CheckImageName(name); !why.empty()) return Fail("image \"" + name + "\": " + why);
  if (name == kHost) return Fail("\"host\" is the host's own root; choose another name");
  if (auto s = PrepareDirs(); !s) return tl::unexpected(s.error());
  RemoveStaleTemps(images_dir() + "/tmp");
  auto staging = TempDir::Create(images_dir() + "/tmp", "import-" + std::to_string(::getpid()) + "-");
  if (!staging) return tl::unexpected(staging.error());
  const std::string scratch = staging->path() + "/archive";
  const std::string rootfs = staging->path() + "/rootfs";
  for (const auto& dir : {scratch, rootfs}) {
    if (::mkdir(dir.c_str(), 0700) < 0) return FailErrno("mkdir " + dir);
  }
  auto wrap = [&](const Error& e) { return tl::unexpected(e.Wrap("import " + name)); };

  progress("reading " + tarball);
  auto archive = UnpackImageArchive(tarball, scratch, limits_);
  if (!archive) return wrap(archive.error());
  if (!archive->note.empty()) progress(archive->note);
  UniqueFd root(::open(rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root) return wrap(FailErrno("open " + rootfs).value());
  ExtractStats stats;
  const size_t count = archive->layer_files.size();
  for (size_t i = 0; i < count; ++i) {
    const std::string label = "layer " + std::to_string(i + 1) + "/" + std::to_string(count) + " " +
                              archive->layer_names[i];
    progress("applying " + label);
    if (auto s = ApplyLayer(root.get(), archive->layer_files[i], limits_, stats); !s) return wrap(s.error().Wrap(label));
  }
  progress("unpacked " + std::to_string(stats.entries) + " entries, " + HumanBytes(stats.bytes));
  if (stats.skipped_special) progress("skipped " + std::to_string(stats.skipped_special) + " device nodes, fifos and sockets");
  if (stats.stripped_setid) progress("stripped setuid/setgid bits from " + std::to_string(stats.stripped_setid) + " entries");
  root.Reset();
  if (auto s = RemoveTree(scratch); !s) return wrap(s.error());

  std::string file = tarball.substr(tarball.find_last_of('/') + 1);
  const std::string source = "import " + file + " (" + archive->format + ", " + std::to_string(count) +
                             (count == 1 ? " layer)" : " layers)");
  auto info = Commit(name, *staging, source, progress);
  if (!info) return wrap(info.error());
  return info;
}

Status ImageStore::Remove(const std::string& name) {
  if (name == kHost) return Fail("\"host\" is the host's own root; it cannot be removed");
  if (auto why = CheckImageName(name); !why.empty()) return Fail("image \"" + name + "\": " + why);
  struct stat st {};
  if (::stat(images_dir().c_str(), &st) < 0) return Fail("image \"" + name + "\" not found", ENOENT);
  auto lock = StoreLock::Take(images_dir());
  if (!lock) return tl::unexpected(lock.error());
  const std::string refs = images_dir() + "/refs";
  auto digest = ReadRef(refs, name);
  if (!digest) {
    if (digest.error().sys_errno == ENOENT) return Fail("image \"" + name + "\" not found", ENOENT);
    // A damaged ref is removed all the same.
  }
  if (::unlink((refs + "/" + name).c_str()) < 0) return FailErrno("remove refs/" + name);
  if (!digest) return {};
  for (const auto& other : ListDir(refs)) {
    auto d = ReadRef(refs, other);
    if (d && *d == *digest) return {};  // still named otherwise
  }
  if (auto s = MakeDirs(images_dir() + "/tmp"); !s) return s;
  const std::string doomed = images_dir() + "/tmp/gc-" + std::to_string(::getpid()) + "-" + digest->substr(7, 12);
  if (::rename(blob_dir(*digest).c_str(), doomed.c_str()) < 0) {
    if (errno == ENOENT) return {};
    return FailErrno("move away " + blob_dir(*digest));
  }
  return RemoveTree(doomed);
}

Status ImageStore::Export(const std::string& name, const std::string& file, const ProgressFn& progress) const {
  if (name == kHost) return Fail("\"host\" is the host's own root; only stored images can be exported");
  auto info = Resolve(name);
  if (!info) return tl::unexpected(info.error());
  progress("writing " + info->rootfs + " to " + file);
  auto stats = ExportRootfs(info->rootfs, file);
  if (!stats) return tl::unexpected(stats.error().Wrap("export " + name));
  progress("wrote " + std::to_string(stats->entries) + " entries, " + HumanBytes(stats->bytes) + " of file contents");
  return {};
}

}  // namespace runlet::image
