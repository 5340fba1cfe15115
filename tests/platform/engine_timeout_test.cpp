// The engine client against a hung engine: a real unix-socket peer that accepts
// connections (or leaves them in its backlog) and never answers. Every call must fail
// within its timeout, with an error that says so, instead of holding its thread.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "image/image_store.h"
#include "platform/docker/docker_platform.h"
#include "platform/docker/engine_client.h"

namespace runlet::platform::docker {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// A unix socket that listens and, if `accept`, accepts every connection and reads what
// comes, answering nothing.
class SilentPeer {
 public:
  explicit SilentPeer(bool accept, int backlog = 16) {
    char dir[] = "/tmp/runlet-hung-engine-XXXXXX";
    dir_ = ::mkdtemp(dir) ? dir : "/tmp";
    path_ = dir_ + "/engine.sock";
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);
    EXPECT_EQ(::listen(fd_, backlog), 0);
    if (accept) {
      thread_ = std::thread([this] {
        while (!stop_) {
          const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
          if (c < 0) return;
          accepted_.push_back(c);
          ++accepted_count_;
        }
      });
    }
  }
  ~SilentPeer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    for (int c : accepted_) ::close(c);
    ::close(fd_);
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  const std::string& path() const { return path_; }
  int accepted() const { return accepted_count_; }

 private:
  std::string dir_, path_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_count_{0};
  std::vector<int> accepted_;
  std::thread thread_;
};

EngineTimeouts Short() {
  EngineTimeouts t;
  t.connect = milliseconds(300);
  t.request = milliseconds(300);
  t.upload = milliseconds(300);
  return t;
}

int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
}

TEST(EngineTimeouts, ARequestToAnEngineThatNeverAnswersFailsInTime) {
  SilentPeer peer(/*accept=*/true);
  EngineClient engine(peer.path(), "v1.41", Short());
  const auto start = Clock::now();
  auto r = engine.Request("GET", "/_ping");
  const int64_t took = MsSince(start);
  ASSERT_FALSE(r) << "an answer from a peer that sends nothing: " << r->status;
  EXPECT_EQ(r.error().sys_errno, ETIMEDOUT) << r.error().message;
  EXPECT_NE(r.error().message.find("no answer within 300 ms"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(peer.path()), std::string::npos) << r.error().message;
  EXPECT_GE(took, 250);
  EXPECT_LT(took, 3000);
  EXPECT_EQ(peer.accepted(), 1);
}

TEST(EngineTimeouts, AnExecStartThatNeverAnswersFailsInTime) {
  SilentPeer peer(/*accept=*/true);
  EngineClient engine(peer.path(), "v1.41", Short());
  const auto start = Clock::now();
  auto s = engine.Hijack("POST", "/exec/abc/start", R"({"Detach":false})");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().sys_errno, ETIMEDOUT) << s.error().message;
  EXPECT_LT(MsSince(start), 3000);
}

TEST(EngineTimeouts, AnUploadToAnEngineThatNeverAnswersFailsInTime) {
  SilentPeer peer(/*accept=*/true);
  EngineClient engine(peer.path(), "v1.41", Short());
  const std::string file = "/tmp/runlet-hung-upload-" + std::to_string(::getpid());
  {
    FILE* f = std::fopen(file.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("not really a tar", f);
    std::fclose(f);
  }
  const auto start = Clock::now();
  auto r = engine.RequestWithFileBody("POST", "/images/create?fromSrc=-", file, "application/x-tar");
  ::unlink(file.c_str());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().sys_errno, ETIMEDOUT) << r.error().message;
  EXPECT_LT(MsSince(start), 3000);
}

TEST(EngineTimeouts, AConnectionLeftInAFullBacklogFailsInTime) {
  // Nobody accepts: once the backlog is full, a connection waits. Fill it first.
  SilentPeer peer(/*accept=*/false, /*backlog=*/0);
  std::vector<int> fillers;
  for (int i = 0; i < 64; ++i) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", peer.path().c_str());
    const int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    fillers.push_back(fd);
    if (rc < 0 && errno == EAGAIN) break;  // full
  }
  EngineClient engine(peer.path(), "v1.41", Short());
  const auto start = Clock::now();
  auto r = engine.Request("GET", "/_ping");
  const int64_t took = MsSince(start);
  for (int fd : fillers) ::close(fd);
  ASSERT_FALSE(r);
  EXPECT_LT(took, 3000);
  EXPECT_NE(r.error().message.find("engine"), std::string::npos) << r.error().message;
}

TEST(EngineTimeouts, APlatformOnAHungEngineFailsToStartInTime) {
  SilentPeer peer(/*accept=*/true);
  char dir[] = "/tmp/runlet-hung-data-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  image::ImageStore images(dir);
  DockerOptions options;
  options.socket = peer.path();
  options.state_dir = std::string(dir) + "/state";
  options.timeouts = Short();
  const auto start = Clock::now();
  auto p = DockerPlatform::Create(options, images);
  EXPECT_LT(MsSince(start), 3000);
  ::rmdir(dir);
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("no answer within"), std::string::npos) << p.error().message;
}

TEST(EngineTimeouts, AHealthCheckOfAnEngineThatNeverAnswersIsNotOkWithinItsShortTimeouts) {
  // The platform's default health timeouts, not the test's: /healthz must not wait the
  // minute a real request may take.
  SilentPeer peer(/*accept=*/true);
  const DockerOptions defaults;
  EXPECT_LE(defaults.health_timeouts.connect.count(), 1000);
  EXPECT_LE(defaults.health_timeouts.request.count(), 2000);
  EngineClient probe(peer.path(), "v1.41", defaults.health_timeouts);
  const auto start = Clock::now();
  const Health h = CheckEngine(probe, "docker");
  const int64_t took = MsSince(start);
  EXPECT_FALSE(h.ok);
  EXPECT_NE(h.detail.find("docker engine did not answer in time"), std::string::npos) << h.detail;
  EXPECT_NE(h.detail.find("within 2000 ms"), std::string::npos) << h.detail;
  EXPECT_NE(h.detail.find(peer.path()), std::string::npos) << h.detail;
  EXPECT_GE(took, 1900);
  EXPECT_LT(took, 3000);
}

TEST(EngineTimeouts, AHealthCheckOfAMissingEngineSaysWhy) {
  EngineClient probe("/nonexistent/engine.sock", "v1.41", kHealthTimeouts);
  const auto start = Clock::now();
  const Health h = CheckEngine(probe, "podman");
  EXPECT_LT(MsSince(start), 1000);
  EXPECT_FALSE(h.ok);
  EXPECT_NE(h.detail.find("podman engine: cannot connect"), std::string::npos) << h.detail;
}

}  // namespace
}  // namespace runlet::platform::docker
