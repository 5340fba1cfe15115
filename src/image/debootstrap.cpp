#include "image/debootstrap.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <deque>

#include "core/files.h"
#include "core/unique_fd.h"
#include "image/fs_tree.h"

namespace runlet::image {
namespace {

constexpr const char* kDebootstrapPaths[] = {"/usr/sbin/debootstrap", "/sbin/debootstrap", "/usr/bin/debootstrap"};
constexpr size_t kKeptLines = 15;

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

// After fork: only async-signal-safe calls, no allocation. Reports failure as errno
// through `report` (close-on-exec, so a successful exec closes it silently).
[[noreturn]] void ReportAndExit(int report) {
  int err = errno;
  (void)!::write(report, &err, sizeof err);
  ::_exit(127);
}

[[noreturn]] void ExecChild(const ChildCommand& cmd, char* const argv[], char* const envp[], int out, int report) {
  auto die = [report] { ReportAndExit(report); };
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::unshare(CLONE_NEWNS) < 0) die();
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) die();
  int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(out, 2) < 0) die();
  if (cmd.prepare) {
    if (int err = cmd.prepare(cmd.context); err != 0) {
      errno = err;
      die();
    }
  }
  ::execve(cmd.path.c_str(), argv, envp);
  ReportAndExit(report);
}

std::vector<std::string> LastLines(std::string_view text, size_t count) {
  std::deque<std::string> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty()) continue;
    lines.emplace_back(line);
    if (lines.size() > count) lines.pop_front();
  }
  return {lines.begin(), lines.end()};
}

}  // namespace

std::string DescribeWaitStatus(int status) {
  return WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                           : "killed by signal " + std::to_string(WTERMSIG(status));
}

Result<int> RunChild(const ChildCommand& cmd, const std::function<void(std::string_view)>& on_line,
                     std::deque<std::string>& last) {
  std::vector<std::string> args = cmd.args, env = cmd.env;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  int out_pipe[2];
  int report_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) < 0) return FailErrno("pipe");
  UniqueFd out_read(out_pipe[0]), out_write(out_pipe[1]);
  if (::pipe2(report_pipe, O_CLOEXEC) < 0) return FailErrno("pipe");
  UniqueFd report_read(report_pipe[0]), report_write(report_pipe[1]);

  pid_t pid = ::fork();
  if (pid < 0) return FailErrno("fork");
  if (pid == 0) ExecChild(cmd, argv.data(), envp.data(), out_write.get(), report_write.get());
  out_write.Reset();
  report_write.Reset();

  std::string pending;
  char buf[4096];
  auto keep = [&](std::string line) {
    on_line(line);
    last.push_back(std::move(line));
    if (last.size() > kKeptLines) last.pop_front();
  };
  for (;;) {
    ssize_t n = ::read(out_read.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      if (!line.empty()) keep(std::move(line));
    }
  }
  if (!pending.empty()) keep(pending);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return FailErrno("wait for " + cmd.path);
  }
  int child_err = 0;
  if (::read(report_read.get(), &child_err, sizeof child_err) == sizeof child_err)
    return FailErrno(cmd.path, child_err);
  return status;
}

bool IsKnownSuite(std::string_view suite) {
  return suite == "bookworm" || suite == "bullseye" || suite == "trixie";
}

std::string CheckPackageName(std::string_view name) {
  if (name.size() < 2 || name.size() > 128) return "a package name has 2 to 128 characters";
  auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_or_digit(name.front())) return "a package name starts with a lowercase letter or digit";
  for (char c : name) {
    if (!lower_or_digit(c) && c != '+' && c != '-' && c != '.')
      return "a package name has only lowercase letters, digits, '+', '-' and '.'";
  }
  return {};
}

Status RunDebootstrap(const DebootstrapSpec& spec, const std::function<void(std::string_view)>& on_line) {
  if (!IsKnownSuite(spec.suite)) return Fail("unknown suite \"" + spec.suite + "\" (bookworm, bullseye or trixie)");
  for (const auto& p : spec.packages) {
    if (auto why = CheckPackageName(p); !why.empty()) return Fail("package \"" + p + "\": " + why);
  }
  if (::geteuid() != 0) return Fail("building an image needs root: debootstrap chroots into the new tree");
  const char* binary = nullptr;
  for (const char* p : kDebootstrapPaths) {
    if (::access(p, X_OK) == 0) {
      binary = p;
      break;
    }
  }
  if (!binary) return Fail("debootstrap is not installed (apt-get install debootstrap)");
  std::string mirror = spec.mirror;
  if (mirror.empty()) {
    const char* env = std::getenv("RUNLET_DEBIAN_MIRROR");
    mirror = env && *env ? env : "http://deb.debian.org/debian";
  }

  std::vector<std::string> args = {"debootstrap", "--variant=minbase"};
  if (!spec.packages.empty()) args.push_back("--include=" + Join(spec.packages, ","));
  args.insert(args.end(), {spec.suite, spec.target, mirror});
  std::vector<std::string> env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "DEBIAN_FRONTEND=noninteractive",
                                  "HOME=/root"};
  on_line("debootstrap --variant=minbase " + Join(std::vector<std::string>(args.begin() + 2, args.end()), " "));
  ChildCommand cmd;
  cmd.path = binary;
  cmd.args = std::move(args);
  cmd.env = std::move(env);
  std::deque<std::string> last;
  auto status = RunChild(cmd, on_line, last);
  if (!status) return tl::unexpected(status.error().Wrap("start debootstrap"));
  if (WIFEXITED(*status) && WEXITSTATUS(*status) == 0) return {};

  const std::string why = DescribeWaitStatus(*status);
  std::string tail;
  for (const auto& line : last) tail += "\n  " + line;
  // debootstrap's own log says which package failed and why.
  if (auto log = ReadSmallFile(spec.target + "/debootstrap/debootstrap.log", 16 << 20)) {
    tail += "\n  debootstrap.log:";
    for (const auto& line : LastLines(*log, 10)) tail += "\n  " + line;
  }
  return Fail("debootstrap " + spec.suite + " failed (" + why + "):" + tail);
}

Status TidyDebianRootfs(const std::string& rootfs) {
  UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root) return FailErrno("open " + rootfs);
  for (const char* dir : {"var/cache/apt/archives", "var/lib/apt/lists"}) {
    const std::string path = rootfs + "/" + dir;
    // Reached without following the tree's symlinks (core/files.h): a package's
    // maintainer script may have made one anywhere.
    auto opened = OpenBeneath(root.get(), dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (!opened) continue;
    UniqueFd fd = std::move(*opened);
    // Keep the directories apt expects (partial/, lock); drop the files.
    if (auto s = RemoveTreeAt(fd.get(), "partial"); !s) return s;
    if (::mkdirat(fd.get(), "partial", 0700) < 0 && errno != EEXIST) return FailErrno("mkdir " + path + "/partial");
    auto names = DirEntries(fd.get(), path);
    if (!names) return tl::unexpected(names.error());
    for (const auto& n : *names) {
      if (n == "partial" || n == "lock") continue;
      if (auto s = RemoveTreeAt(fd.get(), n); !s) return tl::unexpected(s.error().Wrap(path));
    }
  }
  // apt's package caches (tens of MB), rebuilt by apt when it next runs.
  if (auto opened = OpenBeneath(root.get(), "var/cache/apt", O_RDONLY | O_DIRECTORY | O_NOFOLLOW)) {
    for (const char* bin : {"pkgcache.bin", "srcpkgcache.bin"}) {
      if (::unlinkat(opened->get(), bin, 0) < 0 && errno != ENOENT)
        return FailErrno("remove " + rootfs + "/var/cache/apt/" + bin);
    }
  }
  return {};
}

}  // namespace runlet::image
