// runlet-workspace-agent: the long-lived program of a workspace's sandbox. It runs as the
// workspace's unprivileged user under the sandbox's seccomp filter and limits, reads
// frames (agent_protocol.h) on stdin and answers on stdout: terminals (a shell on a PTY
// of the sandbox's own devpts), commands, file operations beneath /work, and TCP
// connections to the workspace's own loopback for the app preview. Everything it starts
// inherits the sandbox, so it can do nothing the user's own programs could not.
//
// One thread, one poll loop. Output of a terminal or connection is sent only while less
// than kWindowBytes of it wait for the server's acknowledgement: a flood (`yes`) blocks
// in the kernel's PTY buffer rather than in anyone's memory.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "workspaces/agent_protocol.h"

namespace {

namespace p = runlet::workspaces::protocol;
using p::Type;

constexpr const char* kWorkDir = "/work";
constexpr size_t kMaxExecOutputDefault = 1u << 20;

int64_t NowMs() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void SetNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Frames to the server: stdout, written whole (the server always reads promptly).
void Send(uint32_t channel, Type type, std::string_view payload) {
  const std::string frame = p::Encode(channel, type, payload);
  size_t done = 0;
  while (done < frame.size()) {
    ssize_t n = ::write(1, frame.data() + done, frame.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      struct pollfd pfd {1, POLLOUT, 0};
      ::poll(&pfd, 1, -1);
      continue;
    }
    if (n <= 0) ::_exit(0);  // the server is gone
    done += static_cast<size_t>(n);
  }
}

void SendClose(uint32_t channel, int32_t status) {
  std::string payload;
  p::PutU32(payload, static_cast<uint32_t>(status));
  Send(channel, Type::kClose, payload);
}

struct Channel {
  enum Kind { kTerminal, kExec, kConnection } kind = kTerminal;
  int fd = -1;          // PTY master, the command's stdin pipe, or the socket
  pid_t pid = -1;       // the shell or command (its process group)
  uint32_t unacked = 0; // bytes sent and not yet acknowledged
  std::string to_fd;    // input waiting for the fd to take it
  bool fd_readable = true;
  bool exited = false;
  int wait_status = 0;
  // kExec
  int out_fd = -1, err_fd = -1;
  std::string out, err;
  size_t max_output = kMaxExecOutputDefault;
  uint32_t flags = 0;
  int64_t started_ms = 0, deadline_ms = 0, exited_ms = 0;
  bool stdin_close_after = true;
  bool connecting = false;
};

std::map<uint32_t, std::unique_ptr<Channel>> g_channels;

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// A path beneath /work, never through a symlink (RESOLVE_NO_SYMLINKS), never above it.
int OpenBeneath(int dir, const std::string& path, int flags, mode_t mode) {
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  for (;;) {
    int fd = static_cast<int>(::syscall(SYS_openat2, dir, path.c_str(), &how, sizeof how));
    if (fd < 0 && errno == EAGAIN) continue;
    return fd;
  }
}

int WorkFd() {
  static int fd = ::open(kWorkDir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  return fd;
}

void ChildExec(const char* const* candidates, char* const* argv) {
  for (const char* const* c = candidates; *c; ++c) ::execv(*c, argv);
}

// ---- Terminals ------------------------------------------------------------------------

void OpenTerminal(uint32_t channel, p::Reader& in) {
  const uint32_t cols = in.U32(), rows = in.U32();
  if (!in.ok() || g_channels.count(channel)) return SendClose(channel, -1);
  int master = ::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  int unlock = 0;
  if (master < 0 || ::ioctl(master, TIOCSPTLCK, &unlock) < 0) {
    CloseFd(master);
    return SendClose(channel, -1);
  }
  struct winsize ws {};
  ws.ws_col = static_cast<unsigned short>(cols ? cols : 80);
  ws.ws_row = static_cast<unsigned short>(rows ? rows : 24);
  ::ioctl(master, TIOCSWINSZ, &ws);
  int slave = ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (slave < 0) {
    CloseFd(master);
    return SendClose(channel, -1);
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    CloseFd(master);
    CloseFd(slave);
    return SendClose(channel, -1);
  }
  if (pid == 0) {
    ::setsid();
    ::ioctl(slave, TIOCSCTTY, 0);
    ::dup2(slave, 0);
    ::dup2(slave, 1);
    ::dup2(slave, 2);
    if (slave > 2) ::close(slave);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);  // ignored by the agent; an ignored signal stays so across exec
    ::setenv("TERM", "xterm-256color", 1);
    ::setenv("SHELL", "/bin/bash", 1);
    ::setenv("PS1", "\\w\\$ ", 1);
    ::chdir(kWorkDir);
    ::syscall(SYS_close_range, 3, ~0U, 0);
    static const char* const bash[] = {"/bin/bash", "/usr/bin/bash", nullptr};
    static char arg0[] = "bash";
    char* bash_argv[] = {arg0, nullptr};
    ChildExec(bash, bash_argv);
    ::setenv("SHELL", "/bin/sh", 1);
    static const char* const sh[] = {"/bin/sh", "/usr/bin/sh", nullptr};
    static char sh0[] = "sh";
    char* sh_argv[] = {sh0, nullptr};
    ChildExec(sh, sh_argv);
    ::_exit(127);
  }
  ::close(slave);
  SetNonBlocking(master);
  auto ch = std::make_unique<Channel>();
  ch->kind = Channel::kTerminal;
  ch->fd = master;
  ch->pid = pid;
  g_channels[channel] = std::move(ch);
}

void Resize(Channel& ch, p::Reader& in) {
  const uint32_t cols = in.U32(), rows = in.U32();
  if (!in.ok() || ch.kind != Channel::kTerminal || ch.fd < 0) return;
  struct winsize ws {};
  ws.ws_col = static_cast<unsigned short>(cols);
  ws.ws_row = static_cast<unsigned short>(rows);
  ::ioctl(ch.fd, TIOCSWINSZ, &ws);
}

// ---- Commands -------------------------------------------------------------------------

void StartExec(uint32_t channel, p::Reader& in) {
  const std::string workdir(in.Str());
  const std::string stdin_data(in.Str());
  const uint32_t timeout_ms = in.U32();
  const uint32_t max_output = in.U32();
  const uint32_t argc = in.U32();
  std::vector<std::string> args;
  for (uint32_t i = 0; in.ok() && i < argc && i < 4096; ++i) args.emplace_back(in.Str());
  auto fail = [&](int err) {
    std::string payload;
    p::PutU32(payload, static_cast<uint32_t>(err));
    Send(channel, Type::kExecResult, payload);
  };
  if (!in.ok() || args.empty() || g_channels.count(channel)) return fail(EINVAL);
  int in_pipe[2], out_pipe[2], err_pipe[2], status_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) < 0) return fail(errno);
  if (::pipe2(out_pipe, O_CLOEXEC) < 0 || ::pipe2(err_pipe, O_CLOEXEC) < 0 || ::pipe2(status_pipe, O_CLOEXEC) < 0) {
    return fail(errno);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return fail(errno);
  if (pid == 0) {
    ::setsid();
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);  // ignored by the agent; an ignored signal stays so across exec
    int err = 0;
    if (::chdir(workdir.empty() ? kWorkDir : workdir.c_str()) < 0) {
      err = errno;
    } else {
      ::execvp(argv[0], argv.data());
      err = errno;
    }
    (void)!::write(status_pipe[1], &err, sizeof err);
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  ::close(status_pipe[1]);
  int err = 0;
  ssize_t got;
  do {
    got = ::read(status_pipe[0], &err, sizeof err);
  } while (got < 0 && errno == EINTR);
  ::close(status_pipe[0]);
  if (got == sizeof err) {
    // It never ran: reap it here.
    ::waitpid(pid, nullptr, 0);
    ::close(in_pipe[1]);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return fail(err);
  }
  auto ch = std::make_unique<Channel>();
  ch->kind = Channel::kExec;
  ch->fd = in_pipe[1];
  ch->out_fd = out_pipe[0];
  ch->err_fd = err_pipe[0];
  ch->pid = pid;
  ch->to_fd = stdin_data;
  ch->max_output = max_output ? max_output : kMaxExecOutputDefault;
  ch->started_ms = NowMs();
  ch->deadline_ms = timeout_ms ? ch->started_ms + timeout_ms : 0;
  SetNonBlocking(ch->fd);
  SetNonBlocking(ch->out_fd);
  SetNonBlocking(ch->err_fd);
  if (ch->to_fd.empty()) CloseFd(ch->fd);
  g_channels[channel] = std::move(ch);
}

// Reads what a command wrote, keeping at most max_output of each stream.
void ReadExecStream(Channel& ch, int& fd, std::string& keep, uint32_t truncated_flag) {
  char buffer[16384];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      CloseFd(fd);
      return;
    }
    const size_t room = keep.size() < ch.max_output ? ch.max_output - keep.size() : 0;
    keep.append(buffer, std::min(room, static_cast<size_t>(n)));
    if (static_cast<size_t>(n) > room) ch.flags |= truncated_flag;
  }
}

bool FinishExecIfDone(uint32_t channel, Channel& ch, int64_t now) {
  if (!ch.exited) return false;
  // Output still open after the command ended (a child of it holds the pipe): wait a
  // little, then answer with what came.
  if ((ch.out_fd >= 0 || ch.err_fd >= 0) && now - ch.exited_ms < 200) return false;
  std::string payload;
  p::PutU32(payload, 0);
  const int st = ch.wait_status;
  p::PutU32(payload, static_cast<uint32_t>(WIFEXITED(st) ? WEXITSTATUS(st) : -1));
  p::PutU32(payload, static_cast<uint32_t>(WIFSIGNALED(st) ? WTERMSIG(st) : 0));
  p::PutU32(payload, static_cast<uint32_t>(ch.exited_ms - ch.started_ms));
  p::PutU32(payload, ch.flags);
  p::PutStr(payload, ch.out);
  p::PutStr(payload, ch.err);
  Send(channel, Type::kExecResult, payload);
  CloseFd(ch.fd);
  CloseFd(ch.out_fd);
  CloseFd(ch.err_fd);
  return true;
}

// ---- Files ----------------------------------------------------------------------------

void SendFileResult(uint32_t channel, int err, std::string_view body = {}) {
  std::string payload;
  p::PutU32(payload, static_cast<uint32_t>(err));
  payload.append(body);
  Send(channel, Type::kFileResult, payload);
}

void ListTree(int dirfd, const std::string& prefix, std::string& out, int depth, size_t& count) {
  if (depth > 32 || count > 20000) return;
  int dup = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup < 0) return;
  DIR* dir = ::fdopendir(dup);
  if (!dir) {
    ::close(dup);
    return;
  }
  while (auto* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
    const std::string path = prefix.empty() ? name : prefix + "/" + name;
    const uint32_t kind = S_ISREG(st.st_mode) ? p::kKindFile : S_ISDIR(st.st_mode) ? p::kKindDirectory : p::kKindOther;
    p::PutStr(out, path);
    p::PutU32(out, kind);
    p::PutU64(out, static_cast<uint64_t>(st.st_size));
    if (++count > 20000) break;
    if (kind == p::kKindDirectory) {
      int sub = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0) {
        ListTree(sub, path, out, depth + 1, count);
        ::close(sub);
      }
    }
  }
  ::closedir(dir);
}

// The directory that holds `path` (its parents made when `create`) and the last name.
int OpenParent(const std::string& path, bool create, std::string& name) {
  const auto slash = path.rfind('/');
  name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (slash == std::string::npos) return OpenBeneath(WorkFd(), ".", O_RDONLY | O_DIRECTORY, 0);
  const std::string parent = path.substr(0, slash);
  if (create) {
    size_t at = 0;
    while (at != std::string::npos) {
      at = parent.find('/', at + 1);
      const std::string part = parent.substr(0, at);
      int fd = OpenBeneath(WorkFd(), part, O_RDONLY | O_DIRECTORY, 0);
      if (fd >= 0) {
        ::close(fd);
        continue;
      }
      const auto last = part.rfind('/');
      int above = last == std::string::npos ? OpenBeneath(WorkFd(), ".", O_RDONLY | O_DIRECTORY, 0)
                                            : OpenBeneath(WorkFd(), part.substr(0, last), O_RDONLY | O_DIRECTORY, 0);
      if (above < 0) return -1;
      const std::string leaf = last == std::string::npos ? part : part.substr(last + 1);
      const int made = ::mkdirat(above, leaf.c_str(), 0755);
      const int err = errno;
      ::close(above);
      if (made < 0 && err != EEXIST) {
        errno = err;
        return -1;
      }
    }
  }
  return OpenBeneath(WorkFd(), parent, O_RDONLY | O_DIRECTORY, 0);
}

void FileOp(uint32_t channel, Type type, p::Reader& in) {
  if (type == Type::kFileList) {
    std::string out;
    size_t count = 0;
    int root = OpenBeneath(WorkFd(), ".", O_RDONLY | O_DIRECTORY, 0);
    if (root < 0) return SendFileResult(channel, errno);
    ListTree(root, "", out, 0, count);
    ::close(root);
    return SendFileResult(channel, count > 20000 ? E2BIG : 0, out);
  }
  const std::string path(in.Str());
  if (!in.ok() || path.empty()) return SendFileResult(channel, EINVAL);
  if (type == Type::kFileRead) {
    const uint32_t max = in.U32();
    int fd = OpenBeneath(WorkFd(), path, O_RDONLY | O_NOFOLLOW, 0);
    if (fd < 0) return SendFileResult(channel, errno);
    struct stat st {};
    if (::fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return SendFileResult(channel, S_ISDIR(st.st_mode) ? EISDIR : EINVAL);
    }
    if (static_cast<uint64_t>(st.st_size) > max) {
      ::close(fd);
      return SendFileResult(channel, EFBIG);
    }
    std::string content;
    char buffer[65536];
    for (;;) {
      ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      content.append(buffer, static_cast<size_t>(n));
      if (content.size() > max) break;
    }
    ::close(fd);
    if (content.size() > max) return SendFileResult(channel, EFBIG);
    return SendFileResult(channel, 0, content);
  }
  std::string name;
  int parent = OpenParent(path, type == Type::kFileWrite, name);
  if (parent < 0) return SendFileResult(channel, errno);
  int err = 0;
  if (type == Type::kFileWrite) {
    const std::string_view content = in.Str();
    // Written to a new name and renamed over: a reader never sees half a file, and a
    // symlink of that name is replaced, never followed.
    const std::string temp = ".runlet-write-" + std::to_string(::getpid()) + "-" + std::to_string(channel);
    int fd = ::openat(parent, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
      err = errno;
    } else {
      size_t done = 0;
      while (done < content.size()) {
        ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          err = n < 0 ? errno : EIO;
          break;
        }
        done += static_cast<size_t>(n);
      }
      ::close(fd);
      if (err == 0) {
        struct stat st {};
        if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) err = EISDIR;
      }
      if (err == 0 && ::renameat(parent, temp.c_str(), parent, name.c_str()) < 0) err = errno;
      if (err != 0) ::unlinkat(parent, temp.c_str(), 0);
    }
  } else if (type == Type::kFileDelete) {
    if (::unlinkat(parent, name.c_str(), 0) < 0) {
      err = errno;
      if (err == EISDIR && ::unlinkat(parent, name.c_str(), AT_REMOVEDIR) == 0) err = 0;
      else if (err == EISDIR) err = errno;
    }
  }
  ::close(parent);
  SendFileResult(channel, err);
}

// ---- Connections (preview) ------------------------------------------------------------

void Connect(uint32_t channel, p::Reader& in) {
  const uint32_t port = in.U32();
  auto answer = [&](int err) {
    std::string payload;
    p::PutU32(payload, static_cast<uint32_t>(err));
    Send(channel, Type::kConnected, payload);
  };
  if (!in.ok() || port == 0 || port > 65535 || g_channels.count(channel)) return answer(EINVAL);
  int sock = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (sock < 0) return answer(errno);
  struct sockaddr_in addr {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 && errno != EINPROGRESS) {
    const int err = errno;
    ::close(sock);
    return answer(err);
  }
  auto ch = std::make_unique<Channel>();
  ch->kind = Channel::kConnection;
  ch->fd = sock;
  ch->connecting = true;
  g_channels[channel] = std::move(ch);
}

// ---- The loop -------------------------------------------------------------------------

void EndChannel(uint32_t id) {
  auto it = g_channels.find(id);
  if (it == g_channels.end()) return;
  Channel& ch = *it->second;
  if (ch.pid > 0 && !ch.exited) ::kill(-ch.pid, SIGHUP);
  if (ch.pid > 0 && !ch.exited) ::kill(-ch.pid, SIGKILL);
  CloseFd(ch.fd);
  CloseFd(ch.out_fd);
  CloseFd(ch.err_fd);
  if (ch.pid > 0 && !ch.exited) {
    ch.fd_readable = false;  // reaped later; keep the entry until then
    ch.kind = Channel::kExec;
    ch.flags = 0x80000000u;  // silent: nobody waits for its result
    return;
  }
  g_channels.erase(it);
}

void HandleFrame(const p::Frame& frame) {
  p::Reader in(frame.payload);
  auto it = g_channels.find(frame.channel);
  Channel* ch = it == g_channels.end() ? nullptr : it->second.get();
  switch (frame.type) {
    case Type::kOpenTerminal: return OpenTerminal(frame.channel, in);
    case Type::kExec: return StartExec(frame.channel, in);
    case Type::kConnect: return Connect(frame.channel, in);
    case Type::kFileList:
    case Type::kFileRead:
    case Type::kFileWrite:
    case Type::kFileDelete: return FileOp(frame.channel, frame.type, in);
    case Type::kData:
      if (ch && ch->fd >= 0 && ch->to_fd.size() < (4u << 20)) ch->to_fd.append(frame.payload);
      return;
    case Type::kResize:
      if (ch) Resize(*ch, in);
      return;
    case Type::kAck:
      if (ch) {
        const uint32_t n = in.U32();
        ch->unacked = n > ch->unacked ? 0 : ch->unacked - n;
      }
      return;
    case Type::kClose: return EndChannel(frame.channel);
    default: return;
  }
}

}  // namespace

int main() {
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t chld;
  ::sigemptyset(&chld);
  ::sigaddset(&chld, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &chld, nullptr);
  const int sigfd = ::signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
  SetNonBlocking(0);
  p::Parser parser;
  Send(0, Type::kReady, {});
  std::vector<char> buffer(64 * 1024);
  for (;;) {
    std::vector<struct pollfd> fds;
    std::vector<std::pair<uint32_t, int>> who;  // channel, which fd (0 main, 1 out, 2 err)
    fds.push_back({0, POLLIN, 0});
    who.push_back({0, -1});
    fds.push_back({sigfd, POLLIN, 0});
    who.push_back({0, -2});
    int64_t now = NowMs();
    int timeout = -1;
    for (auto& [id, ch] : g_channels) {
      if (ch->fd >= 0) {
        short events = 0;
        if (ch->connecting) events |= POLLOUT;
        else {
          if (ch->kind != Channel::kExec && ch->fd_readable && ch->unacked < p::kWindowBytes) events |= POLLIN;
          if (!ch->to_fd.empty()) events |= POLLOUT;
        }
        if (events) {
          fds.push_back({ch->fd, events, 0});
          who.push_back({id, 0});
        }
      }
      if (ch->out_fd >= 0) {
        fds.push_back({ch->out_fd, POLLIN, 0});
        who.push_back({id, 1});
      }
      if (ch->err_fd >= 0) {
        fds.push_back({ch->err_fd, POLLIN, 0});
        who.push_back({id, 2});
      }
      int64_t wake = -1;
      if (ch->kind == Channel::kExec && !ch->exited && ch->deadline_ms) wake = ch->deadline_ms;
      if (ch->kind == Channel::kExec && ch->exited) wake = ch->exited_ms + 200;
      if (wake >= 0) {
        const int left = static_cast<int>(std::max<int64_t>(0, wake - now));
        timeout = timeout < 0 ? left : std::min(timeout, left);
      }
    }
    int ready = ::poll(fds.data(), fds.size(), timeout);
    if (ready < 0 && errno != EINTR) return 1;
    now = NowMs();
    for (size_t i = 0; i < fds.size() && ready > 0; ++i) {
      if (!fds[i].revents) continue;
      const auto [id, which] = who[i];
      if (which == -1) {
        for (;;) {
          ssize_t n = ::read(0, buffer.data(), buffer.size());
          if (n < 0 && errno == EINTR) continue;
          if (n < 0 && errno == EAGAIN) break;
          if (n <= 0) return 0;  // the server went away: the sandbox ends with us
          parser.Feed(std::string_view(buffer.data(), static_cast<size_t>(n)));
        }
        p::Frame frame;
        while (parser.Next(frame)) HandleFrame(frame);
        if (parser.broken()) return 1;
        continue;
      }
      if (which == -2) {
        struct signalfd_siginfo info;
        while (::read(sigfd, &info, sizeof info) > 0) {
        }
        for (;;) {
          int status = 0;
          pid_t pid = ::waitpid(-1, &status, WNOHANG);
          if (pid <= 0) break;
          for (auto& [cid, c] : g_channels) {
            if (c->pid == pid) {
              c->exited = true;
              c->wait_status = status;
              c->exited_ms = now;
              if (c->kind == Channel::kExec) ::kill(-pid, SIGKILL);  // what it left in its group
            }
          }
        }
        continue;
      }
      auto it = g_channels.find(id);
      if (it == g_channels.end()) continue;
      Channel& ch = *it->second;
      if (which == 1) {
        ReadExecStream(ch, ch.out_fd, ch.out, p::kStdoutTruncated);
        continue;
      }
      if (which == 2) {
        ReadExecStream(ch, ch.err_fd, ch.err, p::kStderrTruncated);
        continue;
      }
      if (ch.fd < 0) continue;
      if (ch.connecting && (fds[i].revents & (POLLOUT | POLLERR | POLLHUP))) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(ch.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        std::string payload;
        p::PutU32(payload, static_cast<uint32_t>(err));
        Send(id, Type::kConnected, payload);
        ch.connecting = false;
        if (err) {
          CloseFd(ch.fd);
          g_channels.erase(it);
        }
        continue;
      }
      if ((fds[i].revents & POLLOUT) && !ch.to_fd.empty()) {
        ssize_t n = ::write(ch.fd, ch.to_fd.data(), ch.to_fd.size());
        if (n > 0) ch.to_fd.erase(0, static_cast<size_t>(n));
        if (n < 0 && errno != EAGAIN && errno != EINTR) ch.to_fd.clear();
        if (ch.kind == Channel::kExec && ch.to_fd.empty()) CloseFd(ch.fd);  // EOF after stdin
      }
      if (ch.kind != Channel::kExec && (fds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t n = ::read(ch.fd, buffer.data(), buffer.size());
        if (n > 0) {
          ch.unacked += static_cast<uint32_t>(n);
          Send(id, Type::kData, std::string_view(buffer.data(), static_cast<size_t>(n)));
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
          ch.fd_readable = false;  // EIO: no process has the terminal open any more
          if (ch.kind == Channel::kConnection) {
            SendClose(id, 0);
            CloseFd(ch.fd);
            g_channels.erase(it);
            continue;
          }
        }
      }
    }
    // Ended terminals and commands, and commands past their time.
    for (auto it = g_channels.begin(); it != g_channels.end();) {
      Channel& ch = *it->second;
      const uint32_t id = it->first;
      if (ch.kind == Channel::kExec && !ch.exited && ch.deadline_ms && now >= ch.deadline_ms) {
        ch.flags |= p::kTimedOut;
        ::kill(-ch.pid, SIGKILL);
        ch.deadline_ms = 0;
      }
      bool erase = false;
      if (ch.kind == Channel::kTerminal && ch.exited && (!ch.fd_readable || ch.fd < 0)) {
        SendClose(id, ch.wait_status);
        CloseFd(ch.fd);
        erase = true;
      } else if (ch.kind == Channel::kTerminal && ch.exited && ch.unacked < p::kWindowBytes) {
        // The shell ended but something else holds the terminal: drain what is there now.
        ssize_t n = ::read(ch.fd, buffer.data(), buffer.size());
        if (n > 0) {
          ch.unacked += static_cast<uint32_t>(n);
          Send(id, Type::kData, std::string_view(buffer.data(), static_cast<size_t>(n)));
        } else {
          ch.fd_readable = false;
        }
      } else if (ch.kind == Channel::kExec && (ch.flags & 0x80000000u)) {
        erase = ch.exited;
      } else if (ch.kind == Channel::kExec) {
        erase = FinishExecIfDone(id, ch, now);
      }
      it = erase ? g_channels.erase(it) : std::next(it);
    }
  }
}
