#include "host.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace runlet::abuse {
namespace {

constexpr const char* kSlotLockDir = "/run/runlet/slots/";

[[noreturn]] void ThrowErrno(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

bool InSandboxRange(uid_t uid) { return uid >= kSandboxUidFirst && uid <= kSandboxUidLast; }

// Whether some process holds the lock of the slot that runs as `uid`.
bool SlotHeld(uid_t uid) {
  const std::string path = kSlotLockDir + std::to_string(uid - kSandboxUidFirst) + ".lock";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
  ::close(fd);  // releases our lock, if we got it
  return held;
}

sockaddr_in MakeAddress(const std::string& ip) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) != 1) throw std::runtime_error("bad ip " + ip);
  return addr;
}

uint16_t BoundPort(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) < 0) ThrowErrno("getsockname");
  return ntohs(addr.sin_port);
}

bool AcceptsNow(int fd) {
  int conn = ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (conn < 0) return false;
  ::close(conn);
  return true;
}

}  // namespace

std::vector<HostProcess> ListHostProcesses() {
  std::vector<HostProcess> out;
  DIR* proc = ::opendir("/proc");
  if (!proc) return out;
  while (auto* entry = ::readdir(proc)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    std::ifstream status(std::string("/proc/") + entry->d_name + "/status");
    if (!status) continue;
    HostProcess p;
    p.pid = std::atoi(entry->d_name);
    bool have_uid = false;
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("Name:\t", 0) == 0) {
        p.name = line.substr(6);
      } else if (line.rfind("PPid:", 0) == 0) {
        p.ppid = std::atoi(line.c_str() + 5);
      } else if (line.rfind("Uid:", 0) == 0) {
        std::istringstream uids(line.substr(4));
        for (auto& u : p.uids) uids >> u;
        have_uid = true;
        break;
      }
    }
    if (have_uid) out.push_back(std::move(p));
  }
  ::closedir(proc);
  return out;
}

std::vector<HostProcess> ProcessesWithUid(uid_t uid) {
  std::vector<HostProcess> out;
  for (auto& p : ListHostProcesses()) {
    for (uid_t u : p.uids) {
      if (u == uid) {
        out.push_back(p);
        break;
      }
    }
  }
  return out;
}

std::vector<HostProcess> LeakedSandboxProcesses() {
  std::vector<HostProcess> out;
  for (auto& p : ListHostProcesses()) {
    for (uid_t u : p.uids) {
      if (InSandboxRange(u) && !SlotHeld(u)) {
        out.push_back(p);
        break;
      }
    }
  }
  return out;
}

std::string Describe(const std::vector<HostProcess>& processes) {
  std::ostringstream s;
  for (const auto& p : processes) {
    s << "\n  pid " << p.pid << " ppid " << p.ppid << " uid " << p.uids[0] << "/" << p.uids[1] << "/"
      << p.uids[2] << "/" << p.uids[3] << " " << p.name;
  }
  return s.str();
}

ProcessWatch::ProcessWatch() : thread_([this] { Loop(); }) {}

ProcessWatch::~ProcessWatch() { Stop(); }

void ProcessWatch::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void ProcessWatch::Loop() {
  while (!stop_) {
    std::map<uid_t, size_t> counts;
    std::vector<std::pair<uid_t, std::string>> names;
    for (auto& p : ListHostProcesses()) {
      if (!InSandboxRange(p.uids[0])) continue;
      counts[p.uids[0]]++;
      names.emplace_back(p.uids[0], p.name);
    }
    {
      std::lock_guard lock(mu_);
      for (auto [uid, n] : counts) max_count_[uid] = std::max(max_count_[uid], n);
      for (auto& [uid, name] : names) names_[uid].insert(name);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
  }
}

size_t ProcessWatch::MaxCount(uid_t uid) const {
  std::lock_guard lock(mu_);
  auto it = max_count_.find(uid);
  return it == max_count_.end() ? 0 : it->second;
}

bool ProcessWatch::Saw(uid_t uid, const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = names_.find(uid);
  return it != names_.end() && it->second.count(name) > 0;
}

TcpListener::TcpListener(const std::string& ip) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) ThrowErrno("socket");
  sockaddr_in addr = MakeAddress(ip);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) ThrowErrno("bind " + ip);
  if (::listen(fd_, 16) < 0) ThrowErrno("listen");
  port_ = BoundPort(fd_);
}

TcpListener::~TcpListener() { ::close(fd_); }

bool TcpListener::Accepted() const { return AcceptsNow(fd_); }

UdpReceiver::UdpReceiver(const std::string& ip) {
  fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) ThrowErrno("socket");
  sockaddr_in addr = MakeAddress(ip);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) ThrowErrno("bind " + ip);
  port_ = BoundPort(fd_);
}

UdpReceiver::~UdpReceiver() { ::close(fd_); }

bool UdpReceiver::Received() const {
  char buf[64];
  return ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT) >= 0;
}

UnixListeners::UnixListeners(const std::string& abstract_name, const std::string& path) : path_(path) {
  abstract_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  path_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (abstract_fd_ < 0 || path_fd_ < 0) ThrowErrno("socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path + 1, abstract_name.data(), abstract_name.size());
  const auto len = static_cast<socklen_t>(sizeof(sa_family_t) + 1 + abstract_name.size());
  if (::bind(abstract_fd_, reinterpret_cast<sockaddr*>(&addr), len) < 0) ThrowErrno("bind abstract");
  if (::listen(abstract_fd_, 16) < 0) ThrowErrno("listen");
  sockaddr_un at{};
  at.sun_family = AF_UNIX;
  std::snprintf(at.sun_path, sizeof at.sun_path, "%s", path.c_str());
  ::unlink(path.c_str());
  if (::bind(path_fd_, reinterpret_cast<sockaddr*>(&at), sizeof at) < 0) ThrowErrno("bind " + path);
  ::chmod(path.c_str(), 0777);
  if (::listen(path_fd_, 16) < 0) ThrowErrno("listen");
}

UnixListeners::~UnixListeners() {
  ::close(abstract_fd_);
  ::close(path_fd_);
  ::unlink(path_.c_str());
}

bool UnixListeners::Accepted() const { return AcceptsNow(abstract_fd_) || AcceptsNow(path_fd_); }

std::string HostNonLoopbackIPv4() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) < 0) return "";
  std::string found;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || (i->ifa_flags & IFF_LOOPBACK) ||
        !(i->ifa_flags & IFF_UP))
      continue;
    char text[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, text, sizeof text);
    found = text;
    break;
  }
  ::freeifaddrs(list);
  return found;
}

HostSleeper::HostSleeper(uid_t uid) {
  pid_ = ::fork();
  if (pid_ < 0) ThrowErrno("fork");
  if (pid_ == 0) {
    if (uid != static_cast<uid_t>(-1)) {
      if (::setgroups(0, nullptr) < 0 || ::setresgid(uid, uid, uid) < 0 || ::setresuid(uid, uid, uid) < 0)
        ::_exit(125);
    }
    ::execl("/bin/sleep", "sleep", "60", static_cast<char*>(nullptr));
    ::_exit(126);
  }
}

HostSleeper::~HostSleeper() { Kill(); }

bool HostSleeper::Alive() const {
  if (pid_ < 0) return false;
  siginfo_t info{};
  // WNOWAIT: look without reaping, so a later look sees the same.
  if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) < 0) return false;
  return info.si_pid == 0;
}

void HostSleeper::Kill() {
  if (pid_ < 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::set<std::string> CoreFilesIn(const std::string& dir) {
  std::set<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (auto* e = ::readdir(d)) {
    if (std::strncmp(e->d_name, "core", 4) == 0) out.insert(e->d_name);
  }
  ::closedir(d);
  return out;
}

}  // namespace runlet::abuse
