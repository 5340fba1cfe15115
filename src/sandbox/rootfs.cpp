#include "sandbox/rootfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "sandbox/host_view.h"
#include "sandbox/syscalls.h"

namespace runlet::sandbox {
namespace {

// Top-level entries of a custom rootfs that the sandbox provides itself.
constexpr const char* kOwnEntries[] = {"proc", "dev", "sys", "tmp", "work", "run", "mnt",
                                       "media", "boot", "lost+found", "home", "root"};
// Files hidden even though their permissions already keep the sandbox user out.
constexpr const char* kMasks[] = {"etc/shadow", "etc/gshadow", "etc/shadow-", "etc/gshadow-"};
// The minimal /dev: nodes bound from the host.
constexpr const char* kDevices[] = {"dev/null", "dev/zero", "dev/full", "dev/random", "dev/urandom"};

Result<UniqueFd> MakeTmpfs(const std::string& what, uint64_t bytes, uint64_t inodes, const char* mode) {
  UniqueFd fs(sys::FsOpen("tmpfs", FSOPEN_CLOEXEC));
  if (!fs) return FailErrno("fsopen tmpfs for " + what);
  const std::string size = std::to_string(bytes);
  const std::string nr_inodes = std::to_string(inodes);
  if (sys::FsConfig(fs.get(), FSCONFIG_SET_STRING, "size", size.c_str(), 0) < 0 ||
      sys::FsConfig(fs.get(), FSCONFIG_SET_STRING, "nr_inodes", nr_inodes.c_str(), 0) < 0 ||
      sys::FsConfig(fs.get(), FSCONFIG_SET_STRING, "mode", mode, 0) < 0 ||
      sys::FsConfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0) {
    return FailErrno("configure tmpfs for " + what);
  }
  UniqueFd mnt(sys::FsMount(fs.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV));
  if (!mnt) return FailErrno("fsmount tmpfs for " + what);
  return mnt;
}

// mkdir with exactly `mode` (tmp needs its sticky, world-writable mode), set through the
// directory's own fd: an existing symlink of that name is refused, never followed.
Status MakeDirAt(int dirfd, const char* name, mode_t mode) {
  auto dir = MakeDirBeneath(dirfd, name, mode);
  if (!dir) return tl::unexpected(dir.error());
  return {};
}

// A new file `name` (a path below `dirfd`, reached without following any symlink).
Status WriteAt(int dirfd, const char* name, std::string_view content, mode_t mode) {
  std::shared_lock fence(CloneFence());
  auto opened = OpenBeneath(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  if (!opened) return tl::unexpected(opened.error().Wrap("create"));
  UniqueFd fd = std::move(*opened);
  while (!content.empty()) {
    ssize_t n = ::write(fd.get(), content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOSPC) return Fail(std::string("write ") + name + ": the files exceed the disk limit", ENOSPC);
      return FailErrno(std::string("write ") + name);
    }
    content.remove_prefix(static_cast<size_t>(n));
  }
  if (::fchmod(fd.get(), mode) < 0) return FailErrno(std::string("chmod ") + name);
  return {};
}

// Copies `size` bytes of the open file `in` into a new file `name` in `dirfd`, inside the
// kernel (sendfile: no buffer to fill in user space), falling back to read/write.
Status CopyFileAt(int in, uint64_t size, int dirfd, const char* name, mode_t mode) {
  std::shared_lock fence(CloneFence());
  auto opened = OpenBeneath(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  if (!opened) return tl::unexpected(opened.error().Wrap("create"));
  UniqueFd fd = std::move(*opened);
  auto failed = [&](int err) -> Status {
    if (err == ENOSPC || err == EFBIG) return Fail(std::string("write ") + name + ": the files exceed the disk limit", ENOSPC);
    return FailErrno(std::string("write ") + name, err);
  };
  uint64_t done = 0;
  bool use_sendfile = true;
  char buffer[64 * 1024];
  while (done < size) {
    ssize_t n;
    if (use_sendfile) {
      n = ::sendfile(fd.get(), in, nullptr, static_cast<size_t>(std::min<uint64_t>(size - done, 1u << 30)));
      if (n < 0 && (errno == EINVAL || errno == ENOSYS)) {
        use_sendfile = false;
        continue;
      }
    } else {
      n = ::read(in, buffer, sizeof buffer);
      if (n > 0) {
        for (ssize_t off = 0; off < n;) {
          ssize_t w = ::write(fd.get(), buffer + off, static_cast<size_t>(n - off));
          if (w < 0 && errno == EINTR) continue;
          if (w < 0) return failed(errno);
          off += w;
        }
      }
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return failed(errno);
    if (n == 0) break;  // the file shrank meanwhile
    done += static_cast<uint64_t>(n);
  }
  if (::fchmod(fd.get(), mode) < 0) return FailErrno(std::string("chmod ") + name);
  return {};
}

// Recursively copies the directory `src` into `dst` (both open), owned by `uid`.
// Regular files, directories and symlinks are copied; other types are skipped.
Status CopyTree(int src, int dst, uid_t uid, int depth) {
  if (depth > 64) return Fail("directory tree too deep");
  int dup = ::dup(src);
  if (dup < 0) return FailErrno("dup");
  DIR* dir = ::fdopendir(dup);
  if (!dir) {
    ::close(dup);
    return FailErrno("opendir");
  }
  Status result;
  while (auto* entry = ::readdir(dir)) {
    const char* name = entry->d_name;
    if (std::string_view(name) == "." || std::string_view(name) == "..") continue;
    struct stat st {};
    if (::fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      result = FailErrno(std::string("stat ") + name);
      break;
    }
    if (S_ISDIR(st.st_mode)) {
      if (auto s = MakeDirAt(dst, name, 0755); !s) { result = s; break; }
      UniqueFd sub_src(::openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      UniqueFd sub_dst(::openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub_src || !sub_dst) { result = FailErrno(std::string("open ") + name); break; }
      if (auto s = CopyTree(sub_src.get(), sub_dst.get(), uid, depth + 1); !s) {
        result = tl::unexpected(s.error().Wrap(name));
        break;
      }
    } else if (S_ISREG(st.st_mode)) {
      UniqueFd in(::openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (!in) { result = FailErrno(std::string("open ") + name); break; }
      if (auto s = CopyFileAt(in.get(), static_cast<uint64_t>(st.st_size), dst, name,
                              (st.st_mode & 0111) ? 0755 : 0644);
          !s) {
        result = s;
        break;
      }
    } else if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t n = ::readlinkat(src, name, target, sizeof target - 1);
      if (n < 0) { result = FailErrno(std::string("readlink ") + name); break; }
      target[n] = 0;
      if (::symlinkat(target, dst, name) < 0) { result = FailErrno(std::string("symlink ") + name); break; }
    } else {
      continue;
    }
    if (::fchownat(dst, name, uid, uid, AT_SYMLINK_NOFOLLOW) < 0) {
      result = FailErrno(std::string("chown ") + name);
      break;
    }
  }
  ::closedir(dir);
  return result;
}

Status WriteInputFile(int work, const InputFile& file, uid_t uid) {
  if (auto why = CheckRelativePath(file.path); !why.empty()) return Fail("file \"" + file.path + "\": " + why);
  // Walk down, creating parent directories.
  UniqueFd dir(::dup(work));
  std::string_view rest = file.path;
  for (;;) {
    size_t slash = rest.find('/');
    std::string part(rest.substr(0, slash));
    if (slash == std::string_view::npos) {
      if (auto s = WriteAt(dir.get(), part.c_str(), file.content, file.executable ? 0755 : 0644); !s)
        return tl::unexpected(s.error().Wrap("file \"" + file.path + "\""));
      if (::fchownat(dir.get(), part.c_str(), uid, uid, AT_SYMLINK_NOFOLLOW) < 0)
        return FailErrno("chown " + file.path);
      return {};
    }
    if (::mkdirat(dir.get(), part.c_str(), 0755) == 0) {
      (void)::fchownat(dir.get(), part.c_str(), uid, uid, AT_SYMLINK_NOFOLLOW);
    } else if (errno != EEXIST) {
      return FailErrno("mkdir for \"" + file.path + "\"");
    }
    UniqueFd next(::openat(dir.get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next) return FailErrno("open directory for \"" + file.path + "\"");
    dir = std::move(next);
    rest = rest.substr(slash + 1);
  }
}

}  // namespace

namespace {

// The host view's /etc and /usr/local (host_view.h): each a directory of the skeleton
// with only the shown entries (mount points for the host's, links as the host has them)
// and the generated files. /etc is the skeleton's own top-level directory; a replaced
// directory inside a bound one (/usr/local) is made under .runlet and bound over it.
Status PlanHostView(const RootfsSpec& spec, RootfsLayout& out) {
  auto entries = PlanHostEntries(spec.host_paths);
  if (!entries) return tl::unexpected(entries.error());
  auto in_skeleton = [](const std::string& path) {
    return path == "etc" || path.rfind("etc/", 0) == 0 ? path : std::string(kRunletDir) + "/" + path;
  };
  std::set<std::string> made{kRunletDir, "etc"};
  auto make_parents = [&](const std::string& path) {
    for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
      const std::string parent = path.substr(0, slash);
      if (made.insert(parent).second) out.files.push_back({parent, RootfsLayout::Entry::kDirectory, ""});
    }
  };
  out.entries.push_back({"etc", RootfsLayout::Entry::kDirectory, ""});
  for (const char* dir : kHostReplaced) {
    const std::string own = in_skeleton(dir);
    struct stat st {};
    if (own == dir || ::lstat((std::string("/") + dir).c_str(), &st) < 0 || !S_ISDIR(st.st_mode)) continue;
    make_parents(own);
    made.insert(own);
    out.files.push_back({own, RootfsLayout::Entry::kDirectory, ""});
    out.bind_sources.push_back(own);  // relative: from inside the new root
    out.bind_targets.push_back(dir);
  }
  for (const auto& entry : *entries) {
    const std::string own = in_skeleton(entry.path);
    make_parents(own);
    made.insert(own);
    switch (entry.kind) {
      case HostEntry::kSymlink:
        out.files.push_back({own, RootfsLayout::Entry::kSymlink, entry.target});
        continue;
      case HostEntry::kDirectory:
        out.files.push_back({own, RootfsLayout::Entry::kDirectory, ""});
        break;
      case HostEntry::kFile:
        out.files.push_back({own, RootfsLayout::Entry::kFile, ""});
        break;
    }
    out.bind_sources.push_back("/" + entry.path);
    out.bind_targets.push_back(entry.path);
  }
  for (const char* file : kHostGenerated) {
    out.files.push_back({file, RootfsLayout::Entry::kFile, HostGeneratedFile(file, spec.sandbox_uid)});
  }
  return {};
}

}  // namespace

Result<RootfsLayout> PlanRootfs(const RootfsSpec& spec) {
  RootfsLayout out;
  const bool host_view = spec.rootfs == "/";
  std::string base;
  if (!host_view) {
    char* real = ::realpath(spec.rootfs.c_str(), nullptr);
    if (!real) return FailErrno("rootfs " + spec.rootfs);
    base = real;
    std::free(real);
  }
  // Every look inside the root goes through this fd, never through a symlink of the
  // root's own (an image's symlinks point anywhere on the host): core/files.h.
  UniqueFd root(::open(host_view ? "/" : base.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root) return FailErrno("open rootfs " + (host_view ? std::string("/") : base));
  for (const char* dev : kDevices) {
    out.bind_sources.push_back(std::string("/") + dev);
    out.bind_targets.push_back(dev);
  }

  // The root's top level: directories are bound read-only, symlinks (/bin -> usr/bin on
  // merged-/usr systems) are recreated.
  std::vector<std::string> names;
  if (host_view) {
    for (const char* e : kHostTopLevel) names.emplace_back(e);
  } else {
    DIR* dir = ::opendir(base.c_str());
    if (!dir) return FailErrno("open rootfs " + base);
    while (auto* entry = ::readdir(dir)) {
      std::string name = entry->d_name;
      if (name == "." || name == "..") continue;
      bool own = name == kRunletDir;
      for (const char* o : kOwnEntries) own |= name == o;
      if (!own) names.push_back(name);
    }
    ::closedir(dir);
  }
  const std::string prefix = host_view ? "" : base;
  for (const auto& name : names) {
    const std::string source = prefix + "/" + name;
    struct stat st {};
    if (::fstatat(root.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) continue;  // e.g. no /lib32 here
    if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t n = ::readlinkat(root.get(), name.c_str(), target, sizeof target - 1);
      if (n < 0) return FailErrno("readlink " + source);
      target[n] = 0;
      out.entries.push_back({name, RootfsLayout::Entry::kSymlink, target});
    } else if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) {
      out.entries.push_back({name, S_ISDIR(st.st_mode) ? RootfsLayout::Entry::kDirectory : RootfsLayout::Entry::kFile, ""});
      out.bind_sources.push_back(source);
      out.bind_targets.push_back(name);
    }
  }
  // The workspace agent, on the host view and on images alike.
  if (!spec.agent_path.empty()) {
    out.agent = true;
    out.bind_sources.push_back(spec.agent_path);
    out.bind_targets.push_back(std::string(kRunletDir) + "/agent");
  }
  if (host_view) {
    if (auto s = PlanHostView(spec, out); !s) return tl::unexpected(s.error());
    return out;
  }
  // A file init mounts over must be reached inside the root without a symlink, as init
  // reaches it (through the directories bound above): otherwise the mount would land
  // wherever the symlink points.
  auto regular_inside = [&](const std::string& path) {
    auto st = StatBeneath(root.get(), path);
    return st && S_ISREG(st->st_mode);
  };
  // The sandbox user's own passwd and group files: `id` and `whoami` answer "runner",
  // and the image's user list stays private.
  for (const char* name : {"passwd", "group"}) {
    const std::string etc_file = std::string("etc/") + name;
    if (!regular_inside(etc_file)) continue;
    const std::string own = std::string(kRunletDir) + "/" + name;
    out.files.push_back({own, RootfsLayout::Entry::kFile, HostGeneratedFile(etc_file, spec.sandbox_uid)});
    out.bind_sources.push_back(own);  // relative: the child binds from inside the new root
    out.bind_targets.push_back(etc_file);
  }
  for (const char* mask : kMasks) {
    if (regular_inside(mask)) out.masks.emplace_back(mask);
  }
  return out;
}

Result<PreparedRootfs> BuildRootfs(const RootfsSpec& spec, const RootfsLayout& layout) {
  PreparedRootfs out;
  auto skeleton = MakeTmpfs("root skeleton", 1 << 20, 512, "0755");
  if (!skeleton) return tl::unexpected(skeleton.error());
  const int sk = skeleton->get();
  for (const char* dir : {"proc", "dev", "tmp", "work", "dev/shm", "dev/pts"}) {
    if (auto s = MakeDirAt(sk, dir, dir == std::string_view("tmp") ? 01777 : 0755); !s) return tl::unexpected(s.error());
  }
  for (const char* dev : kDevices) {
    if (auto s = WriteAt(sk, dev, "", 0666); !s) return tl::unexpected(s.error());
  }
  for (auto [name, target] : {std::pair{"dev/fd", "/proc/self/fd"}, {"dev/stdin", "/proc/self/fd/0"},
                              {"dev/stdout", "/proc/self/fd/1"}, {"dev/stderr", "/proc/self/fd/2"},
                              {"dev/ptmx", "pts/ptmx"}}) {
    if (::symlinkat(target, sk, name) < 0) return FailErrno(std::string("symlink ") + name);
  }
  for (const auto& entry : layout.entries) {
    const char* name = entry.name.c_str();
    switch (entry.kind) {
      case RootfsLayout::Entry::kSymlink:
        if (::symlinkat(entry.target.c_str(), sk, name) < 0) return FailErrno(std::string("symlink ") + name);
        break;
      case RootfsLayout::Entry::kDirectory:
        if (auto s = MakeDirAt(sk, name, 0755); !s) return tl::unexpected(s.error());
        break;
      case RootfsLayout::Entry::kFile:
        if (auto s = WriteAt(sk, name, "", 0644); !s) return tl::unexpected(s.error());
        break;
    }
  }
  if (auto s = MakeDirAt(sk, kRunletDir, 0755); !s) return tl::unexpected(s.error());
  for (const auto& file : layout.files) {
    const char* name = file.name.c_str();
    switch (file.kind) {
      case RootfsLayout::Entry::kSymlink:
        if (::symlinkat(file.target.c_str(), sk, name) < 0) return FailErrno(std::string("symlink ") + name);
        break;
      case RootfsLayout::Entry::kDirectory:
        if (auto s = MakeDirAt(sk, name, 0755); !s) return tl::unexpected(s.error());
        break;
      case RootfsLayout::Entry::kFile:
        if (auto s = WriteAt(sk, name, file.target, 0644); !s) return tl::unexpected(s.error());
        break;
    }
  }
  if (layout.agent) {
    const std::string agent = std::string(kRunletDir) + "/agent";
    if (auto s = WriteAt(sk, agent.c_str(), "", 0755); !s) return tl::unexpected(s.error());
  }
  // The skeleton is complete: from now on nobody writes to it.
  struct mount_attr ro {};
  ro.attr_set = MOUNT_ATTR_RDONLY;
  if (sys::MountSetattr(sk, "", AT_EMPTY_PATH, &ro) < 0) return FailErrno("make skeleton read-only");

  auto disk = MakeTmpfs("work directory", spec.disk_bytes, spec.disk_inodes, "0755");
  if (!disk) return tl::unexpected(disk.error());
  const int dk = disk->get();
  for (auto [name, mode] : {std::pair{"work", 0755}, {"tmp", 01777}, {"shm", 01777}}) {
    if (auto s = MakeDirAt(dk, name, static_cast<mode_t>(mode)); !s) return tl::unexpected(s.error());
    if (::fchownat(dk, name, spec.host_uid, spec.host_uid, 0) < 0) return FailErrno(std::string("chown ") + name);
  }
  out.work.Reset(::openat(dk, "work", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!out.work) return FailErrno("open work");
  out.skeleton = std::move(*skeleton);
  out.disk = std::move(*disk);
  return out;
}

Status PopulateWork(int work_fd, const std::string& files_dir, const std::vector<InputFile>& files, uid_t host_uid) {
  if (!files_dir.empty()) {
    UniqueFd src(::open(files_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!src) return FailErrno("open " + files_dir);
    if (auto s = CopyTree(src.get(), work_fd, host_uid, 0); !s) return tl::unexpected(s.error().Wrap("copy " + files_dir));
  }
  for (const auto& file : files) {
    if (auto s = WriteInputFile(work_fd, file, host_uid); !s) return tl::unexpected(s.error());
  }
  return {};
}

std::shared_mutex& CloneFence() {
  static std::shared_mutex fence;
  return fence;
}

}  // namespace runlet::sandbox
