#include "bench_util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

extern char** environ;

namespace runlet::bench {

int64_t NowNs() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

Stats Summarize(std::vector<int64_t> samples) {
  Stats s;
  s.count = samples.size();
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  auto rank = [&](double p) {
    // Nearest rank: the smallest sample with at least p of all samples at or below it.
    size_t k = static_cast<size_t>(std::ceil(p * static_cast<double>(samples.size())));
    k = std::clamp<size_t>(k, 1, samples.size());
    return static_cast<double>(samples[k - 1]) / 1e6;
  };
  s.median_ms = rank(0.5);
  s.p99_ms = rank(0.99);
  double sum = 0;
  for (auto v : samples) sum += static_cast<double>(v);
  s.mean_ms = sum / static_cast<double>(samples.size()) / 1e6;
  s.min_ms = static_cast<double>(samples.front()) / 1e6;
  s.max_ms = static_cast<double>(samples.back()) / 1e6;
  return s;
}

CommandResult RunCommand(const std::vector<std::string>& argv, int timeout_ms,
                         const std::vector<std::string>* env) {
  CommandResult r;
  // Everything the child needs is built before fork: after it, only async-signal-safe
  // calls (the driver may have other threads doing the same).
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  if (env) {
    for (const auto& e : *env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
  }
  char* const* child_env = env ? envp.data() : environ;

  int out[2];
  if (::pipe2(out, O_CLOEXEC) < 0) return r;
  const int64_t start = NowNs();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out[0]);
    ::close(out[1]);
    return r;
  }
  if (pid == 0) {
    ::signal(SIGPIPE, SIG_DFL);  // the sandbox library ignores it in this process
    int null = ::open("/dev/null", O_RDONLY);
    if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(out[1], 1) < 0 || ::dup2(out[1], 2) < 0) ::_exit(126);
    ::execve(args[0], args.data(), child_env);
    ::_exit(127);
  }
  ::close(out[1]);
  r.started = true;
  char buf[4096];
  const int64_t deadline = start + static_cast<int64_t>(timeout_ms) * 1000000;
  for (;;) {
    const int64_t left_ms = (deadline - NowNs()) / 1000000;
    if (left_ms <= 0) {
      ::kill(pid, SIGKILL);
      r.timed_out = true;
      break;
    }
    struct pollfd p = {out[0], POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(left_ms));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    ssize_t got = ::read(out[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    if (r.output.size() < (1u << 20)) r.output.append(buf, static_cast<size_t>(got));
  }
  ::close(out[0]);
  while (::waitpid(pid, &r.wait_status, 0) < 0 && errno == EINTR) {
  }
  r.elapsed_ns = NowNs() - start;
  return r;
}

std::string CheckOutput(const CommandResult& r, const std::string& expect) {
  if (!r.started) return "could not start the command";
  if (r.timed_out) return "timed out";
  const std::string tail = r.output.size() > 400 ? r.output.substr(r.output.size() - 400) : r.output;
  if (WIFSIGNALED(r.wait_status)) return "killed by signal " + std::to_string(WTERMSIG(r.wait_status)) + ": " + tail;
  if (!WIFEXITED(r.wait_status) || WEXITSTATUS(r.wait_status) != 0)
    return "exit code " + std::to_string(WEXITSTATUS(r.wait_status)) + ": " + Trim(tail);
  if (r.output.find(expect) == std::string::npos) return "unexpected output: " + Trim(tail);
  return "ok";
}

std::string FindProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
  p += ":/usr/sbin:/sbin";  // chroot lives in sbin, which a non-login PATH may lack
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::string candidate = p.substr(start, end - start) + "/" + name;
    struct stat st {};
    if (end > start && ::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    start = end + 1;
  }
  return "";
}

std::string KernelRelease() {
  struct utsname u {};
  ::uname(&u);
  return u.release;
}

unsigned OnlineCpus() { return std::max(1u, std::thread::hardware_concurrency()); }

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return Trim(line.substr(colon + 1));
    }
  }
  return "unknown CPU";
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\n')) ++i;
  return s.substr(i);
}

std::string FormatMs(double ms) {
  char buf[32];
  if (ms < 10) {
    std::snprintf(buf, sizeof buf, "%.2f", ms);
  } else if (ms < 100) {
    std::snprintf(buf, sizeof buf, "%.1f", ms);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", ms);
  }
  return buf;
}

std::string FormatRatio(double r) {
  char buf[32];
  std::snprintf(buf, sizeof buf, r < 10 ? "%.1f×" : "%.0f×", r);
  return buf;
}

}  // namespace runlet::bench
