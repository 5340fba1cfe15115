#include "server_process.h"

#include "open_file_limit.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace runlet::testing {
namespace fs = std::filesystem;

namespace {

// Runtime versions are detected by running each toolchain once per data directory,
// which takes seconds on a busy host. They are cached in <data>/cache; the tests share
// that cache file between their fresh data directories (it holds only version strings).
const char* const kVersionCache = RUNLET_TEST_CACHE_DIR "/runtime-versions.json";

void SeedVersionCache(const std::string& data_dir) {
  std::error_code ec;
  if (!fs::exists(kVersionCache, ec)) return;
  fs::create_directories(data_dir + "/cache", ec);
  const std::string target = data_dir + "/cache/runtime-versions.json";
  if (!fs::exists(target, ec)) fs::copy_file(kVersionCache, target, ec);
}

void SaveVersionCache(const std::string& data_dir) {
  std::error_code ec;
  const std::string source = data_dir + "/cache/runtime-versions.json";
  if (fs::exists(kVersionCache, ec) || !fs::exists(source, ec)) return;
  const std::string temp = std::string(kVersionCache) + "." + std::to_string(::getpid());
  fs::copy_file(source, temp, ec);
  if (!ec) fs::rename(temp, kVersionCache, ec);
}

}  // namespace

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/runlet-server-test-XXXXXX";
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp: " + std::string(std::strerror(errno)));
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

namespace {
unsigned long server_open_file_limit = 0;
}  // namespace

void SetServerOpenFileLimit(unsigned long limit) { server_open_file_limit = limit; }

std::unique_ptr<ServerProcess> ServerProcess::Start(const std::string& data_dir, const std::string& log_path,
                                                    const std::vector<std::string>& extra_args,
                                                    std::chrono::seconds timeout) {
  SeedVersionCache(data_dir);
  std::vector<std::string> args = {RUNLET_BIN, "serve", "--listen", "127.0.0.1:0", "--data", data_dir,
                                   "--runtimes", RUNLET_RUNTIMES_DIR};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int out[2];
  if (::pipe2(out, O_CLOEXEC) < 0) throw std::runtime_error("pipe2: " + std::string(std::strerror(errno)));
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) throw std::runtime_error("open " + log_path + ": " + std::strerror(errno));
  const pid_t parent = ::getpid();
  const rlimit files{server_open_file_limit, server_open_file_limit};
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork: " + std::string(std::strerror(errno)));
  if (pid == 0) {
    // The server dies with the test (a crashed test leaves no server behind).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    if (files.rlim_max != 0 && ::setrlimit(RLIMIT_NOFILE, &files) != 0) ::_exit(126);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(log_fd);
  std::unique_ptr<ServerProcess> server(new ServerProcess());
  server->pid_ = pid;
  server->stdout_fd_ = out[0];
  server->log_path_ = log_path;

  // Read stdout until the "serving on" line.
  const std::string marker = "runlet: serving on http://";
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const size_t at = text.find(marker);
    if (at != std::string::npos) {
      const size_t eol = text.find('\n', at);
      if (eol != std::string::npos) {
        const std::string url = text.substr(at + marker.size(), eol - at - marker.size());
        server->port_ = static_cast<unsigned short>(std::stoi(url.substr(url.rfind(':') + 1)));
        break;
      }
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      throw std::runtime_error("runlet serve did not say where it serves within " + std::to_string(timeout.count()) +
                               " s; its log:\n" + server->LogTail());
    }
    pollfd p{out[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char buf[4096];
    const ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) {
      server->Wait(std::chrono::seconds(5));
      throw std::runtime_error("runlet serve exited before serving; its log:\n" + server->LogTail());
    }
    text.append(buf, static_cast<size_t>(n));
  }
  SaveVersionCache(data_dir);
  return server;
}

ServerProcess::~ServerProcess() {
  if (running()) {
    Signal(SIGKILL);
    Wait(std::chrono::seconds(30));
  }
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

void ServerProcess::Signal(int signal) const {
  if (pid_ > 0 && !exit_status_) ::kill(pid_, signal);
}

std::optional<int> ServerProcess::Wait(std::chrono::milliseconds timeout) {
  if (exit_status_) return exit_status_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_status_ = status;
      return status;
    }
    if (r < 0 && errno != EINTR) return std::nullopt;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string ServerProcess::LogTail(size_t bytes) const {
  std::ifstream in(log_path_, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.size() > bytes ? "..." + text.substr(text.size() - bytes) : text;
}

}  // namespace runlet::testing
