#include "sandbox/host_view.h"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "core/files.h"

namespace runlet::sandbox {
namespace {

bool Below(std::string_view path, std::string_view dir) {
  return path.size() > dir.size() + 1 && path.substr(0, dir.size()) == dir && path[dir.size()] == '/';
}

}  // namespace

std::string CheckHostPath(std::string_view path) {
  if (path.empty() || path.front() != '/') return "must be an absolute path";
  const std::string_view rel = path.substr(1);
  if (auto why = CheckRelativePath(rel); !why.empty()) return why;
  if (std::none_of(std::begin(kHostReplaced), std::end(kHostReplaced),
                   [&](const char* dir) { return Below(rel, dir); })) {
    return "must be below /etc or /usr/local (the rest of the host's toolchains is shown already)";
  }
  for (const char* own : kHostGenerated) {
    if (rel == own) return "is the sandbox's own";
  }
  return "";
}

Result<std::vector<HostEntry>> PlanHostEntries(const std::vector<std::string>& extra) {
  std::vector<std::string> paths;
  for (const char* e : kHostEtc) paths.push_back(std::string("etc/") + e);
  for (const auto& p : extra) {
    if (auto why = CheckHostPath(p); !why.empty()) return Fail(ErrorKind::kInvalid, "host path \"" + p + "\": " + why);
    paths.push_back(p.substr(1));
  }
  // Parents first; an entry inside another shown one is shown with it already.
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  std::vector<HostEntry> out;
  for (const auto& path : paths) {
    if (std::any_of(out.begin(), out.end(), [&](const HostEntry& e) { return Below(path, e.path); })) continue;
    const std::string host = "/" + path;
    struct stat st {};
    if (::lstat(host.c_str(), &st) < 0) continue;  // not on this host
    HostEntry entry{path, HostEntry::kFile, ""};
    if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      const ssize_t n = ::readlink(host.c_str(), target, sizeof target - 1);
      if (n < 0) return FailErrno("readlink " + host);
      entry.kind = HostEntry::kSymlink;
      entry.target.assign(target, static_cast<size_t>(n));
    } else if (S_ISDIR(st.st_mode)) {
      entry.kind = HostEntry::kDirectory;
    } else if (!S_ISREG(st.st_mode)) {
      continue;
    }
    out.push_back(std::move(entry));
  }
  return out;
}

std::string HostGeneratedFile(std::string_view path, unsigned uid) {
  const std::string id = std::to_string(uid);
  if (path == "etc/passwd") {
    return "root:x:0:0:root:/root:/usr/sbin/nologin\nrunner:x:" + id + ":" + id +
           ":runner:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
  }
  if (path == "etc/group") return "root:x:0:\nrunner:x:" + id + ":\nnogroup:x:65534:\n";
  if (path == "etc/hosts") return "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\trunlet\n";
  if (path == "etc/hostname") return "runlet\n";
  return "";
}

}  // namespace runlet::sandbox
