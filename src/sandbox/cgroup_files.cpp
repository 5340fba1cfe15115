#include "sandbox/cgroup_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <thread>

#include "core/unique_fd.h"

namespace runlet::sandbox::cgroupfs {

Status WriteFile(const std::string& path, std::string_view value) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return FailErrno("open " + path);
  ssize_t n = ::write(fd.get(), value.data(), value.size());
  if (n < 0) return FailErrno("write \"" + std::string(value) + "\" to " + path);
  return {};
}

Result<std::string> ReadFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return FailErrno("open " + path);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return FailErrno("read " + path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Result<uint64_t> ReadNumber(const std::string& path) {
  auto text = ReadFile(path);
  if (!text) return tl::unexpected(text.error());
  uint64_t value = 0;
  auto res = std::from_chars(text->data(), text->data() + text->size(), value);
  if (res.ec != std::errc()) {
    if (text->rfind("max", 0) == 0) return UINT64_MAX;
    return Fail("unexpected content in " + path);
  }
  return value;
}

uint64_t ReadKeyed(const std::string& path, std::string_view key) {
  auto text = ReadFile(path);
  if (!text) return 0;
  std::string_view rest = *text;
  while (!rest.empty()) {
    size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ' ') {
      uint64_t value = 0;
      auto digits = line.substr(key.size() + 1);
      std::from_chars(digits.data(), digits.data() + digits.size(), value);
      return value;
    }
  }
  return 0;
}

std::vector<pid_t> ReadPids(const std::string& path) {
  std::vector<pid_t> pids;
  auto text = ReadFile(path);
  if (!text) return pids;
  const char* p = text->data();
  const char* end = p + text->size();
  while (p < end) {
    pid_t pid = 0;
    auto res = std::from_chars(p, end, pid);
    if (res.ec == std::errc()) pids.push_back(pid);
    p = res.ptr;
    while (p < end && (*p == '\n' || *p == ' ')) ++p;
    if (res.ec != std::errc()) break;
  }
  return pids;
}

Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) < 0 && errno != EEXIST) return FailErrno("mkdir " + path);
  return {};
}

Status RemoveDir(const std::string& path) {
  // The kernel refuses (EBUSY) until the last task has left; tasks killed a moment ago
  // may still be exiting.
  for (int attempt = 0;; ++attempt) {
    if (::rmdir(path.c_str()) == 0 || errno == ENOENT) return {};
    if (errno != EBUSY || attempt >= 200) return FailErrno("rmdir " + path);
    std::this_thread::sleep_for(std::chrono::milliseconds(attempt < 20 ? 1 : 10));
  }
}

std::vector<std::string> ListChildren(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(path.c_str());
  if (!dir) return names;
  while (auto* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (entry->d_type == DT_DIR && name != "." && name != "..") names.push_back(name);
  }
  ::closedir(dir);
  return names;
}

}  // namespace runlet::sandbox::cgroupfs
