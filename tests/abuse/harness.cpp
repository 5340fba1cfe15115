#include "harness.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace runlet::abuse {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSlotLockDir = "/run/runlet/slots/";
constexpr uid_t kSandboxUidBase = 200000;

[[noreturn]] void ThrowErrno(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[65536];
  ::lseek(fd, 0, SEEK_SET);
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    lines.push_back(text.substr(0, eol));
    if (eol == std::string_view::npos) break;
    text.remove_prefix(eol + 1);
  }
  return lines;
}

std::string Quote(std::string_view text, size_t max = 4000) {
  std::string out(text.substr(0, max));
  if (text.size() > max) out += "... (" + std::to_string(text.size()) + " bytes)";
  return out;
}

void ParseResult(RunletResult& r) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(r.raw_stdout, ec);
  if (ec || !v.is_object()) return;
  const auto& o = v.as_object();
  auto str = [&](const char* key) -> std::string {
    const auto* f = o.if_contains(key);
    return f && f->is_string() ? std::string(f->as_string()) : std::string();
  };
  auto opt_int = [&](const char* key) -> std::optional<int64_t> {
    const auto* f = o.if_contains(key);
    if (!f || f->is_null()) return std::nullopt;
    return f->to_number<int64_t>();
  };
  auto flag = [&](const char* key) {
    const auto* f = o.if_contains(key);
    return f && f->is_bool() && f->as_bool();
  };
  if (!o.if_contains("status")) return;
  r.status = str("status");
  r.exit_code = opt_int("exit_code");
  r.signal = opt_int("signal");
  r.cpu_time_ms = opt_int("cpu_time_ms").value_or(-1);
  r.wall_time_ms = opt_int("wall_time_ms").value_or(-1);
  r.memory_peak_bytes = static_cast<uint64_t>(opt_int("memory_peak_bytes").value_or(0));
  r.out = str("stdout");
  r.err = str("stderr");
  r.stdout_truncated = flag("stdout_truncated");
  r.stderr_truncated = flag("stderr_truncated");
  r.message = str("message");
  r.parsed = true;
}

}  // namespace

bool RunletResult::HasLine(std::string_view line) const {
  for (auto l : Lines(out)) {
    if (l == line) return true;
  }
  return false;
}

std::optional<std::string> RunletResult::LineStartingWith(std::string_view prefix) const {
  for (auto l : Lines(out)) {
    if (l.substr(0, prefix.size()) == prefix) return std::string(l);
  }
  return std::nullopt;
}

std::string RunletResult::Describe() const {
  std::ostringstream s;
  s << "\n--- runlet exit " << runlet_exit;
  if (runlet_signal) s << " (killed by signal " << runlet_signal << ")";
  s << ", after " << elapsed.count() << " ms\n";
  if (parsed) {
    s << "status: " << status << "  exit_code: " << (exit_code ? std::to_string(*exit_code) : "null")
      << "  signal: " << (signal ? std::to_string(*signal) : "null") << "  cpu: " << cpu_time_ms
      << " ms  wall: " << wall_time_ms << " ms  memory peak: " << memory_peak_bytes << "\n"
      << "message: " << message << "\n"
      << "stdout (" << out.size() << " bytes" << (stdout_truncated ? ", truncated" : "") << "):\n"
      << Quote(out) << "\n"
      << "stderr (" << err.size() << " bytes" << (stderr_truncated ? ", truncated" : "") << "):\n"
      << Quote(err) << "\n";
  } else {
    s << "runlet stdout (not a JSON result):\n" << Quote(raw_stdout) << "\n";
  }
  s << "runlet stderr:\n" << Quote(raw_stderr) << "\n---";
  return s.str();
}

std::string PayloadPath(const std::string& name) {
  if (name.size() > 3 && name.compare(name.size() - 3, 3, ".sh") == 0) {
    return std::string(ABUSE_SCRIPT_DIR) + "/" + name;
  }
  return std::string(ABUSE_PAYLOAD_DIR) + "/" + name;
}

RunletProcess::RunletProcess(const RunletOptions& options) {
  std::vector<std::string> argv = {RUNLET_BIN, "exec", "--json"};
  if (!options.payloads.empty()) {
    char dir_template[] = "/tmp/runlet-abuse-XXXXXX";
    if (!::mkdtemp(dir_template)) ThrowErrno("mkdtemp");
    files_dir_ = dir_template;
    for (const auto& payload : options.payloads) {
      const fs::path target = fs::path(files_dir_) / fs::path(payload).filename();
      fs::copy_file(PayloadPath(payload), target);
      fs::permissions(target, fs::perms(0755));
    }
    argv.push_back("--files");
    argv.push_back(files_dir_);
  }
  if (options.stdin_pipe) {
    argv.push_back("--stdin");
    argv.push_back("-");
  }
  argv.insert(argv.end(), options.flags.begin(), options.flags.end());
  argv.push_back("--");
  argv.insert(argv.end(), options.command.begin(), options.command.end());

  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  env.insert(env.end(), options.runlet_env.begin(), options.runlet_env.end());

  // Everything the child touches is prepared before fork: the test may have threads.
  std::vector<char*> c_argv, c_env;
  for (auto& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  for (auto& e : env) c_env.push_back(e.data());
  c_env.push_back(nullptr);

  stdout_fd_ = ::memfd_create("runlet-stdout", MFD_CLOEXEC);
  stderr_fd_ = ::memfd_create("runlet-stderr", MFD_CLOEXEC);
  if (stdout_fd_ < 0 || stderr_fd_ < 0) ThrowErrno("memfd_create");
  int in[2] = {-1, -1};
  if (options.stdin_pipe) {
    if (::pipe2(in, O_CLOEXEC) < 0) ThrowErrno("pipe2");
  } else {
    in[0] = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  }
  const struct rlimit stack = {options.runlet_stack_bytes, options.runlet_stack_bytes};
  const bool set_stack = options.runlet_stack_bytes != 0;

  start_ = std::chrono::steady_clock::now();
  pid_ = ::fork();
  if (pid_ < 0) ThrowErrno("fork");
  if (pid_ == 0) {
    if (set_stack) ::setrlimit(RLIMIT_STACK, &stack);
    ::dup2(in[0], 0);
    ::dup2(stdout_fd_, 1);
    ::dup2(stderr_fd_, 2);
    ::execve(c_argv[0], c_argv.data(), c_env.data());
    ::_exit(126);
  }
  ::close(in[0]);
  stdin_fd_ = in[1];
}

RunletProcess::~RunletProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  for (int fd : {stdin_fd_, stdout_fd_, stderr_fd_}) {
    if (fd >= 0) ::close(fd);
  }
  if (!files_dir_.empty()) {
    std::error_code ignored;
    fs::remove_all(files_dir_, ignored);
  }
}

void RunletProcess::Send(std::string_view data) {
  while (!data.empty() && stdin_fd_ >= 0) {
    ssize_t n = ::write(stdin_fd_, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void RunletProcess::CloseStdin() {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
  stdin_fd_ = -1;
}

std::optional<uid_t> RunletProcess::WaitForSandboxUid(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::string fd_dir = "/proc/" + std::to_string(pid_) + "/fd";
  std::optional<int> previous;
  while (std::chrono::steady_clock::now() < deadline) {
    std::optional<int> slot;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(fd_dir, ec)) {
      std::error_code link_ec;
      const std::string target = fs::read_symlink(entry.path(), link_ec).string();
      const size_t at = target.find(kSlotLockDir);
      if (link_ec || at != 0) continue;
      slot = std::atoi(target.c_str() + std::strlen(kSlotLockDir));
    }
    // Seen twice in a row: the slot runlet keeps, not one it just tried.
    if (slot && previous == slot) return kSandboxUidBase + static_cast<uid_t>(*slot);
    previous = slot;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return std::nullopt;
}

RunletResult RunletProcess::Wait() {
  RunletResult r;
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start_);
  if (WIFEXITED(status)) r.runlet_exit = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.runlet_signal = WTERMSIG(status);
  r.raw_stdout = ReadAll(stdout_fd_);
  r.raw_stderr = ReadAll(stderr_fd_);
  ParseResult(r);
  return r;
}

RunletResult RunPayload(const std::string& payload, const std::vector<std::string>& args,
                        const std::vector<std::string>& flags) {
  RunletOptions options;
  options.payloads = {payload};
  options.flags = flags;
  const bool script = payload.size() > 3 && payload.compare(payload.size() - 3, 3, ".sh") == 0;
  if (script) options.command.push_back("/bin/sh");
  options.command.push_back("./" + payload);
  options.command.insert(options.command.end(), args.begin(), args.end());
  RunletProcess runlet(options);
  return runlet.Wait();
}

::testing::AssertionResult AllRefused(const RunletResult& result,
                                      std::initializer_list<std::string_view> lines) {
  if (!result.parsed) return ::testing::AssertionFailure() << "no JSON result" << result.Describe();
  if (result.status != "ok" || result.exit_code != 0) {
    return ::testing::AssertionFailure() << "expected status ok with exit code 0" << result.Describe();
  }
  if (auto fail = result.LineStartingWith("FAIL")) {
    return ::testing::AssertionFailure() << "the attack got through: " << *fail << result.Describe();
  }
  if (!result.HasLine("done")) {
    return ::testing::AssertionFailure() << "the payload did not finish" << result.Describe();
  }
  for (auto line : lines) {
    // A line may name the errno that made it so: "nothing useful in X (ENOENT)".
    if (!result.HasLine(line) && !result.LineStartingWith(std::string(line) + " (")) {
      return ::testing::AssertionFailure() << "missing line \"" << line << "\"" << result.Describe();
    }
  }
  return ::testing::AssertionSuccess();
}

std::string UniqueToken(std::string_view prefix) {
  std::random_device rd;
  std::mt19937_64 gen(rd());
  return std::string(prefix) + std::to_string(::getpid()) + "x" + std::to_string(gen() % 1000000000000ull);
}

}  // namespace runlet::abuse
