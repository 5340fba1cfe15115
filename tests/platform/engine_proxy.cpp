#include "engine_proxy.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace runlet::testing {
namespace {

sockaddr_un Address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  return addr;
}

int ConnectUnix(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const sockaddr_un addr = Address(path);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

EngineProxy::EngineProxy(std::string upstream) : upstream_(std::move(upstream)) {
  char dir[] = "/tmp/runlet-engine-proxy-XXXXXX";
  if (!::mkdtemp(dir)) throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
  dir_ = dir;
  path_ = dir_ + "/engine.sock";
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const sockaddr_un addr = Address(path_);
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0 ||
      ::listen(listen_fd_, 64) < 0 || ::pipe2(wake_, O_CLOEXEC) < 0) {
    throw std::runtime_error("engine proxy at " + path_ + ": " + std::strerror(errno));
  }
  thread_ = std::thread([this] { Serve(); });
}

EngineProxy::~EngineProxy() {
  stop_ = true;
  Wake();
  if (thread_.joinable()) thread_.join();
  for (const Pair& p : pairs_) {
    ::close(p.client);
    if (p.engine >= 0) ::close(p.engine);
  }
  ::close(listen_fd_);
  ::close(wake_[0]);
  ::close(wake_[1]);
  ::unlink(path_.c_str());
  ::rmdir(dir_.c_str());
}

void EngineProxy::Wake() {
  const char c = 1;
  (void)!::write(wake_[1], &c, 1);
}

void EngineProxy::Silence() {
  silent_ = true;
  Wake();
  while (!silenced_ack_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void EngineProxy::Resume() {
  silent_ = false;
  Wake();
  while (silenced_ack_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void EngineProxy::Serve() {
  std::vector<char> buffer(64 << 10);
  std::vector<pollfd> fds;
  while (!stop_) {
    const bool silent = silent_;
    if (silent) {
      for (Pair& p : pairs_) p.silenced = true;  // stay silent after Resume()
    }
    silenced_ack_ = silent;  // whatever was being forwarded before is done
    fds.assign({{wake_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}});
    std::vector<size_t> polled;  // pairs_ forwarded in this round
    for (size_t i = 0; i < pairs_.size() && !silent; ++i) {
      if (pairs_[i].engine < 0 || pairs_[i].silenced) continue;
      polled.push_back(i);
      fds.push_back({pairs_[i].client, POLLIN, 0});
      fds.push_back({pairs_[i].engine, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents != 0) {
      char drain[64];
      (void)!::read(wake_[0], drain, sizeof drain);
      continue;  // look at silent_ and stop_ again
    }
    std::vector<size_t> closed;
    for (size_t k = 0; k < polled.size(); ++k) {
      const size_t i = polled[k];
      for (int side = 0; side < 2; ++side) {
        const pollfd& from = fds[2 + 2 * k + side];
        if (from.revents == 0) continue;
        const int to = side == 0 ? pairs_[i].engine : pairs_[i].client;
        const ssize_t n = ::read(from.fd, buffer.data(), buffer.size());
        if (n <= 0 || !WriteAll(to, buffer.data(), static_cast<size_t>(n))) {
          closed.push_back(i);
          break;
        }
      }
    }
    for (auto it = closed.rbegin(); it != closed.rend(); ++it) {
      ::close(pairs_[*it].client);
      ::close(pairs_[*it].engine);
      pairs_.erase(pairs_.begin() + static_cast<std::ptrdiff_t>(*it));
    }
    if (fds[1].revents & POLLIN) {
      const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      ++connections_;
      Pair p{client, -1};
      if (!silent_) {
        p.engine = ConnectUnix(upstream_);
        if (p.engine < 0) {  // as the engine itself would: refused
          ::close(client);
          continue;
        }
      }
      pairs_.push_back(p);
    }
  }
}

}  // namespace runlet::testing
