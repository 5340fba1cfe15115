// The host side of the abuse tests: its processes, listeners and bystanders that a
// sandboxed program must not reach.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace runlet::abuse {

// Host uids that sandboxes run as (slot N is 200000 + N).
constexpr uid_t kSandboxUidFirst = 200000;
constexpr uid_t kSandboxUidLast = 200300;

struct HostProcess {
  pid_t pid = 0;
  pid_t ppid = 0;
  uid_t uids[4] = {};  // real, effective, saved, file system
  std::string name;    // comm
};

std::vector<HostProcess> ListHostProcesses();
// Processes that have `uid` as any of their uids.
std::vector<HostProcess> ProcessesWithUid(uid_t uid);
// Processes in the sandbox uid range whose slot no running runlet holds: they outlived
// their sandbox.
std::vector<HostProcess> LeakedSandboxProcesses();
std::string Describe(const std::vector<HostProcess>& processes);

// Samples the host's processes in the sandbox uid range every few milliseconds, in a
// thread, until stopped or destroyed.
class ProcessWatch {
 public:
  ProcessWatch();
  ~ProcessWatch();
  void Stop();
  // The most processes seen at once with real uid `uid`.
  size_t MaxCount(uid_t uid) const;
  // Whether a process named `name` with real uid `uid` was seen.
  bool Saw(uid_t uid, const std::string& name) const;

 private:
  void Loop();
  mutable std::mutex mu_;
  std::map<uid_t, size_t> max_count_;
  std::map<uid_t, std::set<std::string>> names_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// A TCP listener on the host at `ip`, on a port the kernel picks.
class TcpListener {
 public:
  explicit TcpListener(const std::string& ip);
  ~TcpListener();
  uint16_t port() const { return port_; }
  bool Accepted() const;  // whether any connection arrived

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// A UDP socket on the host at `ip`.
class UdpReceiver {
 public:
  explicit UdpReceiver(const std::string& ip);
  ~UdpReceiver();
  uint16_t port() const { return port_; }
  bool Received() const;  // whether any datagram arrived

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// A unix stream listener in the host's abstract namespace and one at a path.
class UnixListeners {
 public:
  UnixListeners(const std::string& abstract_name, const std::string& path);
  ~UnixListeners();
  bool Accepted() const;

 private:
  int abstract_fd_ = -1;
  int path_fd_ = -1;
  std::string path_;
};

// An IPv4 address of the host that is not loopback, or "" if it has none.
std::string HostNonLoopbackIPv4();

// `sleep 60` on the host as `uid` (the test's own uid if unset); killed on destruction.
class HostSleeper {
 public:
  explicit HostSleeper(uid_t uid = static_cast<uid_t>(-1));
  ~HostSleeper();
  HostSleeper(const HostSleeper&) = delete;
  HostSleeper& operator=(const HostSleeper&) = delete;
  pid_t pid() const { return pid_; }
  bool Alive() const;
  void Kill();

 private:
  pid_t pid_ = -1;
};

// Names of files starting with "core" in `dir` (not recursive).
std::set<std::string> CoreFilesIn(const std::string& dir);

}  // namespace runlet::abuse
