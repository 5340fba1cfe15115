#include "image/layer_build.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <deque>

#include "core/unique_fd.h"
#include "image/debootstrap.h"
#include "image/fs_tree.h"

namespace runlet::image {
namespace {

// What the child needs, all prepared before fork: it may not allocate.
struct InstallContext {
  std::string overlay_options;  // lowerdir=...,upperdir=...,workdir=...
  std::string merged;
  std::string debs;
};

// openat2 beneath `dir` without following any symlink: the base is ours, but a package's
// maintainer script may have replaced /proc or /dev with one before a later step.
int OpenDirBeneath(int dir, const char* path) {
  struct open_how how {};
  how.flags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, dir, path, &how, sizeof how));
}

// Mounts onto the directory `path` below `root_fd` (through its fd, never by name).
int MountBeneath(int root_fd, const char* path, const char* source, const char* type, unsigned long flags) {
  int fd = OpenDirBeneath(root_fd, path);
  if (fd < 0) return errno;
  char target[64] = "/proc/self/fd/";
  // fd in decimal, without snprintf (not async-signal-safe).
  char digits[16];
  int n = 0;
  for (int v = fd; n == 0 || v > 0; v /= 10) digits[n++] = static_cast<char>('0' + v % 10);
  size_t len = std::strlen(target);
  while (n > 0) target[len++] = digits[--n];
  target[len] = '\0';
  int rc = ::mount(source, target, type, flags, nullptr);
  int err = rc < 0 ? errno : 0;
  ::close(fd);
  return err;
}

// In the child, in its own private mount namespace: the overlay, /proc, the host's /dev
// (as debootstrap has it) and the download directory, then chroot.
int PrepareInstall(const void* context) {
  const auto* c = static_cast<const InstallContext*>(context);
  if (::mount("overlay", c->merged.c_str(), "overlay", 0, c->overlay_options.c_str()) < 0) return errno;
  int root = ::open(c->merged.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (root < 0) return errno;
  int err = MountBeneath(root, "proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
  if (err == 0) err = MountBeneath(root, "dev", "/dev", nullptr, MS_BIND | MS_REC);
  if (err == 0) err = MountBeneath(root, "var/cache/apt/archives", c->debs.c_str(), nullptr, MS_BIND);
  if (err == 0 && (::fchdir(root) < 0 || ::chroot(".") < 0 || ::chdir("/") < 0)) err = errno;
  ::close(root);
  return err;
}

bool IsWhiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == 0; }

bool IsOpaque(int dir_fd) {
  char value[4] = {};
  ssize_t n = ::fgetxattr(dir_fd, "trusted.overlay.opaque", value, sizeof value);
  return n == 1 && value[0] == 'y';
}

UniqueFd OpenDir(int parent, const std::string& name) {
  return UniqueFd(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

// Makes directory `name` in `to` with the mode, owner and times of `st`.
Status CopyDirMeta(int to, const std::string& name, const struct stat& st, const std::string& what) {
  UniqueFd fd = OpenDir(to, name);
  if (!fd) return FailErrno("open " + what);
  if (::fchown(fd.get(), st.st_uid, st.st_gid) < 0) return FailErrno("chown " + what);
  if (::fchmod(fd.get(), st.st_mode & 07777) < 0) return FailErrno("chmod " + what);
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (::futimens(fd.get(), times) < 0) return FailErrno("set times of " + what);
  return {};
}

// Hard-links the tree `from` into the empty directory `to`.
Status LinkTree(int from, int to, const std::string& what, MergeStats& stats) {
  auto names = DirEntries(from, what);
  if (!names) return tl::unexpected(names.error());
  for (const auto& name : *names) {
    const std::string path = what + "/" + name;
    struct stat st {};
    if (::fstatat(from, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) return FailErrno("stat " + path);
    if (S_ISDIR(st.st_mode)) {
      if (::mkdirat(to, name.c_str(), 0700) < 0) return FailErrno("mkdir " + path);
      UniqueFd sub_from = OpenDir(from, name), sub_to = OpenDir(to, name);
      if (!sub_from || !sub_to) return FailErrno("open " + path);
      if (auto s = LinkTree(sub_from.get(), sub_to.get(), path, stats); !s) return s;
      if (auto s = CopyDirMeta(to, name, st, path); !s) return s;
    } else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
      // linkat without AT_SYMLINK_FOLLOW links a symlink itself.
      if (::linkat(from, name.c_str(), to, name.c_str(), 0) < 0) return FailErrno("link " + path);
      ++stats.linked;
    }
    // Device nodes, fifos and sockets: a stored image has none (tree_sanitize).
  }
  return {};
}

// Moves the overlay upper directory `upper` over the tree `to`.
Status ApplyUpper(int upper, int to, const std::string& what, MergeStats& stats) {
  auto names = DirEntries(upper, what);
  if (!names) return tl::unexpected(names.error());
  for (const auto& name : *names) {
    const std::string path = what + "/" + name;
    struct stat st {};
    if (::fstatat(upper, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) return FailErrno("stat " + path);
    if (IsWhiteout(st)) {
      if (auto s = RemoveTreeAt(to, name); !s) return s;
      ++stats.whiteouts;
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      UniqueFd sub_upper = OpenDir(upper, name);
      if (!sub_upper) return FailErrno("open " + path);
      struct stat below {};
      bool merge = !IsOpaque(sub_upper.get()) && ::fstatat(to, name.c_str(), &below, AT_SYMLINK_NOFOLLOW) == 0 &&
                   S_ISDIR(below.st_mode);
      if (merge) {
        UniqueFd sub_to = OpenDir(to, name);
        if (!sub_to) return FailErrno("open " + path);
        if (auto s = ApplyUpper(sub_upper.get(), sub_to.get(), path, stats); !s) return s;
        if (auto s = CopyDirMeta(to, name, st, path); !s) return s;
        continue;
      }
    }
    // A new or replaced entry (an opaque directory replaces the base's whole).
    if (auto s = RemoveTreeAt(to, name); !s) return s;
    if (::renameat(upper, name.c_str(), to, name.c_str()) < 0) return FailErrno("move " + path);
    ++stats.moved;
  }
  return {};
}

}  // namespace

Status InstallLayer(const LayerInstallSpec& spec, const std::function<void(std::string_view)>& on_line) {
  for (const auto& p : spec.packages) {
    if (auto why = CheckPackageName(p); !why.empty()) return Fail("package \"" + p + "\": " + why);
  }
  if (spec.packages.empty()) return Fail("a layer installs at least one package");
  if (::geteuid() != 0) return Fail("building an image needs root: apt-get runs chrooted in the new tree");
  for (const auto& path : {spec.base_rootfs, spec.upper, spec.work, spec.merged, spec.debs}) {
    // overlayfs takes ',' and ':' in its options as separators.
    if (path.find_first_of(",:\\") != std::string::npos) return Fail("path has ',', ':' or '\\': " + path);
  }
  InstallContext context;
  // No redirects or metadata-only copies: every change lands in the upper directory whole,
  // so the merge sees plain files and directories.
  context.overlay_options = "lowerdir=" + spec.base_rootfs + ",upperdir=" + spec.upper + ",workdir=" + spec.work +
                            ",redirect_dir=off,metacopy=off";
  context.merged = spec.merged;
  context.debs = spec.debs;

  ChildCommand cmd;
  cmd.path = "/bin/sh";  // resolved after chroot: the base's shell
  cmd.args = {"sh", "-c",
              "apt-get update -q && apt-get install -y -q --no-install-recommends -o Dpkg::Use-Pty=0 \"$@\"", "sh"};
  cmd.args.insert(cmd.args.end(), spec.packages.begin(), spec.packages.end());
  cmd.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "DEBIAN_FRONTEND=noninteractive", "HOME=/root"};
  cmd.prepare = PrepareInstall;
  cmd.context = &context;

  std::deque<std::string> last;
  auto status = RunChild(cmd, on_line, last);
  if (!status) return tl::unexpected(status.error().Wrap("start apt-get in the layer"));
  if (WIFEXITED(*status) && WEXITSTATUS(*status) == 0) return {};
  std::string tail;
  for (const auto& line : last) tail += "\n  " + line;
  return Fail("apt-get install failed (" + DescribeWaitStatus(*status) + "):" + tail);
}

Result<MergeStats> MergeLayer(const std::string& base_rootfs, const std::string& upper, const std::string& target) {
  UniqueFd base(::open(base_rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!base) return FailErrno("open " + base_rootfs);
  UniqueFd up(::open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!up) return FailErrno("open " + upper);
  UniqueFd to(::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!to) return FailErrno("open " + target);
  MergeStats stats;
  if (auto s = LinkTree(base.get(), to.get(), target, stats); !s) return tl::unexpected(s.error());
  if (auto s = ApplyUpper(up.get(), to.get(), target, stats); !s) return tl::unexpected(s.error());
  if (::fchmod(to.get(), 0755) < 0) return FailErrno("chmod " + target);
  return stats;
}

}  // namespace runlet::image
