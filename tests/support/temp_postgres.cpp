#include "temp_postgres.h"

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

namespace runlet::testing {
namespace fs = std::filesystem;
namespace {

std::string BinDir() {
  const char* env = std::getenv("RUNLET_PG_BIN");
  return env && *env ? env : "/usr/lib/postgresql/15/bin";
}

std::string Tail(const std::string& path, size_t bytes = 3000) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.size() > bytes ? "..." + text.substr(text.size() - bytes) : text;
}

// The account the server runs as: the test's own unless it is root.
struct Account {
  uid_t uid;
  gid_t gid;
};
std::optional<Account> ServerAccount() {
  if (::geteuid() != 0) return std::nullopt;
  for (const char* name : {"postgres", "nobody"}) {
    if (const passwd* pw = ::getpwnam(name)) return Account{pw->pw_uid, pw->pw_gid};
  }
  throw std::runtime_error("PostgreSQL refuses to run as root, and there is no postgres or nobody account");
}

// Runs `args` as `account` with stdout and stderr appended to `log`; `die_with_parent`:
// SIGQUIT (PostgreSQL's immediate shutdown) when the test process dies. The child's pid.
pid_t Spawn(const std::vector<std::string>& args, const std::optional<Account>& account, const std::string& log,
            bool die_with_parent) {
  std::vector<char*> argv;
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("open " + log + ": " + std::strerror(errno));
  if (account && ::fchown(fd, account->uid, account->gid) != 0) {
    ::close(fd);
    throw std::runtime_error("chown " + log + ": " + std::strerror(errno));
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork: " + std::string(std::strerror(errno)));
  if (pid == 0) {
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    if (account && (::setgroups(0, nullptr) != 0 || ::setgid(account->gid) != 0 || ::setuid(account->uid) != 0))
      ::_exit(125);
    // After setuid, which clears it.
    if (die_with_parent && (::prctl(PR_SET_PDEATHSIG, SIGQUIT) != 0 || ::getppid() != parent)) ::_exit(124);
    ::execv(argv[0], argv.data());
    ::dprintf(STDERR_FILENO, "cannot execute %s: %s\n", argv[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(fd);
  return pid;
}

int WaitExit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

}  // namespace

TempPostgres::TempPostgres() {
  try {
    Start();
  } catch (...) {
    if (pid_ > 0) {
      ::kill(pid_, SIGQUIT);
      WaitExit(pid_);
    }
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
    throw;
  }
}

void TempPostgres::Start() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/runlet-pg-XXXXXX";
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp: " + std::string(std::strerror(errno)));
  dir_ = pattern;
  const auto account = ServerAccount();
  if (account && ::chown(dir_.c_str(), account->uid, account->gid) != 0)
    throw std::runtime_error("chown " + dir_ + ": " + std::strerror(errno));
  const std::string data = dir_ + "/data", log = dir_ + "/postgres.log";
  // initdb takes seconds on a busy host: its result is kept once per build and copied.
  const std::string cache = RUNLET_PG_TEMPLATE_DIR;
  std::error_code ec;
  if (!fs::exists(cache, ec)) {
    const pid_t initdb = Spawn({BinDir() + "/initdb", "--pgdata=" + data, "--username=runlet", "--auth=trust",
                                "--encoding=UTF8", "--locale=C.UTF-8", "--locale-provider=icu", "--icu-locale=en",
                                "--no-sync", "--no-instructions"},
                               account, dir_ + "/initdb.log", true);
    if (const int status = WaitExit(initdb); !WIFEXITED(status) || WEXITSTATUS(status) != 0)
      throw std::runtime_error("initdb failed (status " + std::to_string(status) + "): " + Tail(dir_ + "/initdb.log"));
    const std::string temp = cache + "." + std::to_string(::getpid());
    fs::copy(data, temp, fs::copy_options::recursive, ec);
    if (!ec) fs::rename(temp, cache, ec);
    if (ec) fs::remove_all(temp, ec);
  } else {
    fs::copy(cache, data, fs::copy_options::recursive, ec);
    if (ec) throw std::runtime_error("copy " + cache + ": " + ec.message());
    ::chmod(data.c_str(), 0700);
    if (account) {
      for (const auto& entry : fs::recursive_directory_iterator(data)) {
        if (::lchown(entry.path().c_str(), account->uid, account->gid) != 0)
          throw std::runtime_error("chown " + entry.path().string() + ": " + std::strerror(errno));
      }
      if (::chown(data.c_str(), account->uid, account->gid) != 0) throw std::runtime_error("chown " + data);
    }
  }
  pid_ = Spawn({BinDir() + "/postgres", "-D", data, "-k", dir_, "-c", "listen_addresses=", "-c", "fsync=off", "-c",
                "full_page_writes=off", "-c", "synchronous_commit=off", "-c", "shared_buffers=16MB", "-c",
                "max_connections=200", "-c", "log_min_messages=warning"},
               account, log, true);
  const std::string probe = "host=" + dir_ + " dbname=postgres user=runlet connect_timeout=2";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    if (PQping(probe.c_str()) == PQPING_OK) break;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("postgres exited (status " + std::to_string(status) + "): " + Tail(log));
    }
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("postgres did not answer within 60 s: " + Tail(log));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

TempPostgres::~TempPostgres() {
  if (pid_ > 0) {
    ::kill(pid_, SIGINT);  // fast shutdown: clients are cut off
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGQUIT);
        WaitExit(pid_);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string TempPostgres::Url(const std::string& name) const {
  return "postgresql:///" + name + "?host=" + dir_ + "&user=runlet";
}

std::string TempPostgres::NewDatabase() {
  const std::string name = "t" + std::to_string(++databases_);
  PGconn* c = PQconnectdb(("host=" + dir_ + " dbname=postgres user=runlet").c_str());
  PGresult* r = PQexec(c, ("CREATE DATABASE " + name).c_str());  // a name of our own making
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  const std::string error = PQerrorMessage(c);
  PQclear(r);
  PQfinish(c);
  if (!ok) throw std::runtime_error("CREATE DATABASE " + name + ": " + error);
  return Url(name);
}

TempPostgres& SharedPostgres() {
  static std::unique_ptr<TempPostgres> server;
  static std::string failure;
  if (!server && failure.empty()) {
    try {
      server = std::make_unique<TempPostgres>();
    } catch (const std::exception& e) {
      failure = e.what();
    }
  }
  if (!server) throw std::runtime_error("cannot start a PostgreSQL server for the test: " + failure);
  return *server;
}

}  // namespace runlet::testing
