#include "cli_runner.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace runlet::runtime::testing {

CliOutput RunCli(const std::vector<std::string>& argv) {
  CliOutput out;
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) < 0 || ::pipe2(err_pipe, O_CLOEXEC) < 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return out;
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return out;
  }
  if (pid == 0) {
    const int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&out.stdout_data, &out.stderr_data};
  int open_fds = 2;
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      ADD_FAILURE() << "poll: " << std::strerror(errno);
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[65536];
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) out.exit_code = WEXITSTATUS(status);
  return out;
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/runlet-runtime-test-XXXXXX";
  if (!::mkdtemp(pattern.data())) ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::Write(const std::string& name, const std::string& content) const {
  const std::string path = path_ + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

std::string RunOutcome::Describe() const {
  return "runlet exited " + std::to_string(cli.exit_code) + "\nstdout: " + cli.stdout_data + "\nstderr: " + cli.stderr_data;
}

std::string RunOutcome::Str(const char* key) const {
  auto* v = result.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string("<not a string>");
}

const boost::json::object* RunOutcome::Build() const {
  auto* v = result.if_contains("build");
  return v && v->is_object() ? &v->as_object() : nullptr;
}

std::vector<std::string> RunOutcome::Lines() const {
  std::vector<std::string> lines;
  const std::string text = Str("stdout");
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    lines.push_back(text.substr(start, nl - start));
  return lines;
}

RunOutcome RunJson(const std::vector<std::string>& argv) {
  RunOutcome out;
  out.cli = RunCli(argv);
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(out.cli.stdout_data, ec);
  if (ec || !doc.is_object()) {
    ADD_FAILURE() << "not a result object\n" << out.Describe();
  } else {
    out.result = doc.as_object();
  }
  return out;
}

const std::string& DataDirOverImages(const std::string& store) {
  static const TempDir dir;
  static const bool linked = [&] {
    std::error_code ec;
    std::filesystem::create_directory_symlink(store + "/images", dir.path() + "/images", ec);
    if (ec) ADD_FAILURE() << "link " << store << "/images: " << ec.message();
    return true;
  }();
  (void)linked;
  return dir.path();
}

std::vector<std::string> CliArgs(const std::string& verb, const std::string& data_dir) {
  return {RUNLET_BIN, verb, "--runtimes", RUNLET_RUNTIMES_DIR, "--data", data_dir};
}

RunOutcome RunProjectIn(const std::string& data_dir, const std::string& runtime, const std::string& project_case,
                      const std::vector<std::string>& flags, const std::vector<std::string>& args) {
  auto argv = CliArgs("run", data_dir);
  argv.insert(argv.end(), {"--runtime", runtime, "--json"});
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.push_back(std::string(RUNLET_PROJECTS_DIR) + "/" + runtime + "/" + project_case);
  if (!args.empty()) {
    argv.push_back("--");
    argv.insert(argv.end(), args.begin(), args.end());
  }
  return RunJson(argv);
}

}  // namespace runlet::runtime::testing
