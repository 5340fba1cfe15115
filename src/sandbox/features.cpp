#include "sandbox/features.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <string_view>

#include "core/unique_fd.h"
#include "sandbox/cgroup_files.h"
#include "sandbox/syscalls.h"

namespace runlet::sandbox {
namespace {

// Plain reads and string_views: this runs at every `runlet exec`, where the first use of
// iostreams alone (locale, facets) would cost a tenth of a millisecond.
std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  while (!text.empty()) {
    const size_t at = text.find(sep);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
  }
  return parts;
}

std::string ReadSmallFile(const std::string& path) {
  auto text = cgroupfs::ReadFile(path);
  return text ? std::move(*text) : std::string();
}

// mountinfo: "id parent major:minor root mountpoint options [optional...] - fstype source superopts"
void ParseMountinfo(Features& f) {
  const std::string text = ReadSmallFile("/proc/self/mountinfo");
  for (std::string_view line : Split(text, '\n')) {
    auto fields = Split(line, ' ');
    size_t dash = 0;
    while (dash < fields.size() && fields[dash] != "-") ++dash;
    if (fields.size() < 5 || dash + 3 >= fields.size()) continue;
    const std::string_view mount_point = fields[4];
    const std::string_view fstype = fields[dash + 1];
    const std::string_view superopts = fields[dash + 3];
    if (fstype == "cgroup2") {
      if (f.cgroup2_root.empty()) f.cgroup2_root = std::string(mount_point);
    } else if (fstype == "cgroup") {
      for (std::string_view opt : Split(superopts, ',')) {
        if (opt == "memory" || opt == "pids" || opt == "cpu" || opt == "cpuacct" ||
            opt == "freezer") {
          f.v1_mounts.emplace(std::string(opt), std::string(mount_point));
        }
      }
    }
  }
}

bool ProbeNewMountApi() {
  int fd = sys::FsOpen("tmpfs", FSOPEN_CLOEXEC);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

bool ProbeMountSetattr() {
  struct mount_attr attr {};
  // An invalid fd: ENOSYS when the call is missing, EBADF when it exists.
  errno = 0;
  sys::MountSetattr(-1, "", AT_EMPTY_PATH, &attr);
  return errno != ENOSYS;
}

}  // namespace

std::string_view CgroupModeName(CgroupMode mode) {
  switch (mode) {
    case CgroupMode::kV1:
      return "v1";
    case CgroupMode::kV2:
      return "v2";
    case CgroupMode::kNone:
      break;
  }
  return "none";
}

Result<Features> DetectFeatures(std::string_view forced_cgroup) {
  Features f;
  ParseMountinfo(f);
  f.new_mount_api = ProbeNewMountApi();
  f.mount_setattr = ProbeMountSetattr();
  f.user_namespaces = ReadSmallFile("/proc/sys/user/max_user_namespaces") != "0\n";
  {
    struct utsname u {};
    ::uname(&u);
    int major = 0, minor = 0;
    std::sscanf(u.release, "%d.%d", &major, &minor);
    f.clone_into_cgroup = major > 5 || (major == 5 && minor >= 7);
  }
  if (!f.cgroup2_root.empty()) {
    const std::string text = ReadSmallFile(f.cgroup2_root + "/cgroup.controllers");
    bool memory = false, pids = false, cpu = false;
    for (std::string_view c : Split(text, ' ')) {
      while (!c.empty() && (c.back() == '\n')) c.remove_suffix(1);
      memory |= c == "memory";
      pids |= c == "pids";
      cpu |= c == "cpu";
    }
    f.cgroup2_has_controllers = memory && pids && cpu;
  }
  const bool v1_ok = f.v1_mounts.count("memory") && f.v1_mounts.count("pids") &&
                     f.v1_mounts.count("cpuacct") && f.v1_mounts.count("cpu");

  std::string forced(forced_cgroup);
  if (forced.empty()) {
    if (const char* env = std::getenv("RUNLET_CGROUP")) forced = env;
  }
  if (forced == "v2") {
    if (!f.cgroup2_has_controllers) {
      return Fail("cgroup v2 was asked for, but " +
                  (f.cgroup2_root.empty() ? std::string("no cgroup2 file system is mounted")
                                          : "the cgroup2 mount at " + f.cgroup2_root +
                                                " lacks the memory, pids and cpu controllers") +
                  " (they are bound to v1 hierarchies on this host; boot with "
                  "systemd.unified_cgroup_hierarchy=1 to move them)");
    }
    f.cgroup = CgroupMode::kV2;
  } else if (forced == "v1") {
    if (!v1_ok) {
      return Fail(
          "cgroup v1 was asked for, but the memory, pids, cpu and cpuacct v1 hierarchies are "
          "not all mounted (mount them under /sys/fs/cgroup/<controller>)");
    }
    f.cgroup = CgroupMode::kV1;
  } else if (forced == "none") {
    f.cgroup = CgroupMode::kNone;
  } else if (!forced.empty()) {
    return Fail("RUNLET_CGROUP must be v1, v2 or none, not \"" + forced + "\"");
  } else if (f.cgroup2_has_controllers) {
    f.cgroup = CgroupMode::kV2;
  } else if (v1_ok) {
    f.cgroup = CgroupMode::kV1;
  }
  if (f.cgroup == CgroupMode::kV1 && !f.cgroup2_root.empty()) {
    f.notes.push_back("hybrid layout: cgroup2 at " + f.cgroup2_root +
                      " has no memory/pids/cpu controllers, so the v1 hierarchies are used");
  }
  if (!f.new_mount_api) {
    return Fail(
        "the kernel lacks the new mount API (fsopen, fsmount, move_mount; Linux 5.2+), "
        "which the sandbox needs to build its file systems");
  }
  if (!f.user_namespaces) {
    return Fail("user namespaces are disabled (sysctl user.max_user_namespaces is 0); "
                "enable them with: sysctl -w user.max_user_namespaces=15000");
  }
  return f;
}

std::string DescribeFeatures(const Features& f) {
  std::ostringstream out;
  out << "cgroup: " << CgroupModeName(f.cgroup) << "\n";
  if (!f.cgroup2_root.empty()) {
    out << "cgroup2 mount: " << f.cgroup2_root
        << (f.cgroup2_has_controllers ? " (memory, pids, cpu)" : " (no usable controllers)")
        << "\n";
  }
  for (const auto& [controller, path] : f.v1_mounts) {
    out << "cgroup v1 " << controller << ": " << path << "\n";
  }
  out << "new mount API: " << (f.new_mount_api ? "yes" : "no") << "\n";
  out << "mount_setattr: " << (f.mount_setattr ? "yes" : "no") << "\n";
  out << "clone3 CLONE_INTO_CGROUP: " << (f.clone_into_cgroup ? "yes" : "no") << "\n";
  for (const auto& note : f.notes) out << "note: " << note << "\n";
  return out.str();
}

}  // namespace runlet::sandbox
