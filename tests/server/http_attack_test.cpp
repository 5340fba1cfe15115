// Attacks on the HTTP server itself, each as an unauthenticated (or ordinary) client
// would make it: a trailer Beast cannot hold, idle and slow connections, a flood of
// connections under a small open-file limit, large bodies before login, JSON that costs
// more memory than its size. After each, the server still answers (TearDown).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "open_file_limit.h"
#include "server_test.h"

namespace runlet::testing {
namespace {

// A blocking TCP connection from `source` (an address of 127.0.0.0/8) to the server.
class RawConnection {
 public:
  RawConnection(unsigned short port, const std::string& source = "127.0.0.1",
                std::chrono::seconds timeout = std::chrono::seconds(30)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    timeval tv{static_cast<time_t>(timeout.count()), 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, source.c_str(), &from.sin_addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0)
      throw std::runtime_error("bind " + source + ": " + std::strerror(errno));
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0)
      throw std::runtime_error("connect: " + std::string(std::strerror(errno)));
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // Writes all of `bytes`; false (errno kept) when the server stopped taking them.
  bool SendAll(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Everything until the server closes (or the timeout, or `limit` bytes).
  std::string ReadAll(size_t limit = 1 << 20) {
    std::string out;
    char buf[16384];
    while (out.size() < limit) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  // True once the server has closed the connection (EOF or reset), waiting at most `wait`.
  bool ClosedWithin(std::chrono::milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    char buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      timeval tv{0, 100000};
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return true;
    }
    return false;
  }
  // True when the server has closed the connection by now (nothing is waited for).
  bool ClosedNow() {
    char buf[4096];
    for (;;) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) continue;
      return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    }
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

// The status code of a raw HTTP response ("HTTP/1.1 413 ..."), 0 when there is none.
int StatusOf(const std::string& response) {
  if (response.rfind("HTTP/1.", 0) != 0 || response.size() < 12) return 0;
  return std::atoi(response.c_str() + 9);
}

// Sends `request` whole before reading anything, as Python's urllib and many simple
// clients do, then reads the answer: its status, 0 when none came.
int SendThenRead(unsigned short port, const std::string& request, std::string* response = nullptr) {
  RawConnection c(port);
  const bool sent = c.SendAll(request);
  const std::string answer = c.ReadAll();
  if (response) *response = answer;
  if (!sent && answer.empty()) return 0;
  return StatusOf(answer);
}

std::string PostHead(const std::string& target, size_t length, const std::string& extra = "") {
  return "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" + extra +
         "Content-Length: " + std::to_string(length) + "\r\n\r\n";
}

// A field of /proc/PID/status in kB ("VmHWM": the peak resident set).
long ProcStatusKb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::atol(line.c_str() + field.size() + 1);
  }
  return -1;
}

// CPU time (user + system) the process has used, in seconds.
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) {
      stime = std::stoull(field);
      break;
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// The share of one CPU the process uses over `window`.
double CpuShare(pid_t pid, std::chrono::milliseconds window) {
  const double before = CpuSeconds(pid);
  std::this_thread::sleep_for(window);
  return (CpuSeconds(pid) - before) / std::chrono::duration<double>(window).count();
}

using HttpAttack = ServerTest;

TEST_F(HttpAttack, ATrailerFieldTooLargeForBeastIsRefusedAndTheServerLives) {
  // Beast throws std::length_error for a field value of 65,535 bytes or more; in a
  // trailer, no header limit stopped it, and the exception ended the process.
  const std::string trailer = "X: " + std::string(65535, 'a') + "\r\n\r\n";
  std::string auth;  // (logged in, so that every route reads its body)
  for (const auto& [name, value] : DefaultHeaders()) auth += name + ": " + value + "\r\n";
  for (const std::string target : {"/", "/api/v1/auth/login", "/api/v1/execute"}) {
    const std::string request = "POST " + target +
                                " HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
                                "Content-Type: application/json\r\n" +
                                auth + "\r\n0\r\n" + trailer;
    std::string response;
    const int status = SendThenRead(http().port(), request, &response);
    EXPECT_TRUE(status == 400 || status == 404) << target << ": " << response.substr(0, 300);
    auto health = http().Get("/healthz");
    ASSERT_EQ(health.status, 200) << "after a huge trailer to " << target;
  }
  // A trailer as large as the buffer allows, many times over, costs nothing lasting.
  const std::string big = "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" +
                          std::string("Y: ") + std::string(10 << 20, 'b') + "\r\n\r\n";
  EXPECT_EQ(SendThenRead(http().port(), big), 400);
  // A small, well-formed trailer is fine.
  const std::string body = R"({"username":"tester","password":"tester-password"})";
  std::ostringstream chunk;
  chunk << std::hex << body.size();
  const std::string ok = "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                         "Connection: close\r\n\r\n" +
                         chunk.str() + "\r\n" + body + "\r\n0\r\nX-Checksum: 1\r\n\r\n";
  std::string response;
  EXPECT_EQ(SendThenRead(http().port(), ok, &response), 200) << response.substr(0, 300);
}

TEST_F(HttpAttack, EarlyAnswersReachClientsThatSendTheWholeBodyFirst) {
  // Unauthenticated: 401 before the body is read, and the client, still writing 16 MiB,
  // gets it (the server drains what it sends instead of resetting the connection).
  const std::string big(16u << 20, 'a');
  DefaultHeaders().clear();
  EXPECT_EQ(SendThenRead(http().port(), PostHead("/api/v1/execute", big.size()) + big), 401);
  // Sign-up and login take a few KiB; more is 413 at once.
  EXPECT_EQ(SendThenRead(http().port(), PostHead("/api/v1/auth/login", big.size()) + big), 413);
  EXPECT_EQ(SendThenRead(http().port(), PostHead("/api/v1/auth/signup", 9000) + std::string(9000, 'x')), 413);
  // The same with a chunked body, cut off at the route's limit.
  std::string chunked = "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 64; ++i) chunked += "4000\r\n" + std::string(0x4000, 'c') + "\r\n";
  chunked += "0\r\n\r\n";
  EXPECT_EQ(SendThenRead(http().port(), chunked), 413);
  // Authenticated: over the server's 16 MiB, 413, heard by a client that writes first.
  auto login = http().Post("/api/v1/auth/login", R"({"username":"tester","password":"tester-password"})");
  ASSERT_EQ(login.status, 200);
  const std::string auth = "Authorization: Bearer " + Str(login.Json(), "token") + "\r\n";
  const std::string over((16u << 20) + 1, 'a');
  EXPECT_EQ(SendThenRead(http().port(), PostHead("/api/v1/execute", over.size(), auth) + over), 413);
  // Expect: 100-continue is answered before the body is sent: 100 when admitted...
  RawConnection c(http().port());
  ASSERT_TRUE(c.SendAll(PostHead("/api/v1/projects", 2, auth + "Expect: 100-continue\r\n")));
  char buf[64] = {};
  const ssize_t n = ::recv(c.fd(), buf, sizeof buf - 1, 0);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0).rfind("HTTP/1.1 100 Continue\r\n\r\n", 0), 0u);
  // ...the final answer at once when not.
  RawConnection refused(http().port());
  ASSERT_TRUE(refused.SendAll(PostHead("/api/v1/execute", 1 << 20, "Expect: 100-continue\r\n")));
  char first[64] = {};
  EXPECT_EQ(StatusOf(std::string(first, std::max<ssize_t>(0, ::recv(refused.fd(), first, sizeof first, 0)))), 401);
}

TEST_F(HttpAttack, LargeLoginBodiesDoNotGrowTheServer) {
  // 40 clients each sending 16 MiB to the login endpoint: the server reads a few KiB of
  // each (the route's limit), answers 413 and drops the rest as it comes.
  const long peak_before = ProcStatusKb(server().pid(), "VmHWM");
  ASSERT_GT(peak_before, 0);
  const std::string big(16u << 20, '{');
  const std::string request = PostHead("/api/v1/auth/login", big.size()) + big;
  std::vector<std::thread> clients;
  std::vector<int> statuses(40);
  for (size_t i = 0; i < statuses.size(); ++i) {
    clients.emplace_back([&, i] { statuses[i] = SendThenRead(http().port(), request); });
  }
  for (auto& t : clients) t.join();
  for (size_t i = 0; i < statuses.size(); ++i) EXPECT_EQ(statuses[i], 413) << "client " << i;
  const long growth_mb = (ProcStatusKb(server().pid(), "VmHWM") - peak_before) / 1024;
  EXPECT_LT(growth_mb, 64) << "the server's peak memory grew by " << growth_mb << " MB";
}

TEST_F(HttpAttack, JsonWithMillionsOfValuesIsRefusedWhileItIsRead) {
  // 14 MB of "0," is 7 million values (112 MB as Boost.JSON values); three clients at
  // once. The count stops the parse at the limit, before any value is built.
  std::string zeros = "[";
  zeros.reserve(14u << 20);
  while (zeros.size() < (14u << 20)) zeros += "0,";
  zeros += "0]";
  std::string args = R"j({"runtime":"python-3.11","files":[{"name":"main.py","content":"print(1)"}],"args":[)j";
  while (args.size() < (14u << 20)) args += "\"a\",";
  args += "\"a\"]}";
  const long peak_before = ProcStatusKb(server().pid(), "VmHWM");
  std::vector<std::thread> clients;
  std::vector<HttpResponse> answers(6);
  for (size_t i = 0; i < answers.size(); ++i) {
    clients.emplace_back([&, i] {
      answers[i] = i % 2 ? http().Post("/api/v1/execute", args) : http().Post("/api/v1/execute/batch", zeros);
    });
  }
  for (auto& t : clients) t.join();
  for (const auto& a : answers) EXPECT_TRUE(IsError(a, 413, "too_large"));
  EXPECT_NE(answers[0].body.find("at most 64 requests in a batch"), std::string::npos) << answers[0].body;
  const long growth_mb = (ProcStatusKb(server().pid(), "VmHWM") - peak_before) / 1024;
  // (Each body is held once while it is read: 6 x 14 MB.)
  EXPECT_LT(growth_mb, 150) << "the server's peak memory grew by " << growth_mb << " MB";
  // A batch of 65 small requests is refused the same way; 64 are fine.
  json::array many;
  for (int i = 0; i < 65; ++i) many.push_back(PythonRequest("print(1)\n"));
  EXPECT_TRUE(IsError(http().Post("/api/v1/execute/batch?wait=false", json::serialize(many)), 413, "too_large"));
}

class IdleTimeout : public ServerTest {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--header-timeout", "1"}; }
};

TEST_F(IdleTimeout, ConnectionsThatSendNothingOrTrickleAHeadAreClosed) {
  RawConnection silent(http().port());
  EXPECT_TRUE(silent.ClosedWithin(4s)) << "a connection that sent nothing stayed open";
  // A head sent one byte at a time (slowloris) gets the same time in all.
  RawConnection slow(http().port());
  const std::string head = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
  const auto started = std::chrono::steady_clock::now();
  bool closed = false;
  for (char c : head) {
    if (!slow.SendAll(std::string_view(&c, 1))) {
      closed = true;
      break;
    }
    if (slow.ClosedWithin(150ms)) {
      closed = true;
      break;
    }
  }
  EXPECT_TRUE(closed || slow.ClosedWithin(3s)) << "a head trickled in stayed open";
  EXPECT_LT(std::chrono::steady_clock::now() - started, 4s);
  // A kept-alive connection that goes idle after a request is closed too.
  RawConnection idle(http().port());
  ASSERT_TRUE(idle.SendAll("GET /api/v1/runtimes HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  EXPECT_TRUE(idle.ClosedWithin(4s));
}

// The server under an open-file limit of 1024, as on a default Linux host.
class ConnectionFlood : public ServerTest {
 protected:
  void SetUp() override {
    SetServerOpenFileLimit(1024);
    ServerTest::SetUp();
    SetServerOpenFileLimit(0);
    // The test itself holds more connections than the server may.
    rlimit mine{};
    ::getrlimit(RLIMIT_NOFILE, &mine);
    if (mine.rlim_cur < 4096) {
      mine.rlim_cur = std::min<rlim_t>(mine.rlim_max, 8192);
      ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &mine), 0) << std::strerror(errno);
    }
    ASSERT_GE(mine.rlim_cur, 2200u);
  }

  // `count` idle connections from `source`.
  std::vector<std::unique_ptr<RawConnection>> Flood(size_t count, const std::string& source) {
    std::vector<std::unique_ptr<RawConnection>> flood;
    for (size_t i = 0; i < count; ++i) flood.push_back(std::make_unique<RawConnection>(http().port(), source, 5s));
    return flood;
  }
};

TEST_F(ConnectionFlood, IdleConnectionsFromOneAddressNeitherSpinTheServerNorLockOthersOut) {
  auto flood = Flood(1100, "127.0.0.2");
  std::this_thread::sleep_for(500ms);
  const double share = CpuShare(server().pid(), 2s);
  EXPECT_LT(share, 0.3) << "the server spins with 1,100 idle connections open";
  // Another address is served at once.
  const auto started = std::chrono::steady_clock::now();
  auto health = HttpClient(http().port(), 5s).Get("/api/v1/runtimes");
  EXPECT_EQ(health.status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  // The flood's address got its cap (256 by default); the rest were closed at once.
  size_t closed = 0;
  for (auto& c : flood) closed += c->ClosedNow();
  EXPECT_GE(closed, 1100u - 256u);
  EXPECT_LE(closed, 1100u - 200u) << "the cap per address is 256: most of those should still be open";
  auto metrics = http().Get("/metrics");
  EXPECT_NE(metrics.body.find("runlet_http_connections_refused_total{cap=\"address\"}"), std::string::npos)
      << metrics.body.substr(0, 2000);
}

TEST_F(ConnectionFlood, ManyAddressesMeetTheTotalCapBeforeTheDescriptorsRunOut) {
  // 8 addresses x 130 connections: under each address's cap, over the total (768 with
  // 1024 open files).
  std::vector<std::unique_ptr<RawConnection>> flood;
  for (int a = 2; a < 10; ++a) {
    auto more = Flood(130, "127.0.1." + std::to_string(a));
    for (auto& c : more) flood.push_back(std::move(c));
  }
  std::this_thread::sleep_for(500ms);
  EXPECT_LT(CpuShare(server().pid(), 2s), 0.3);
  size_t open = 0;
  for (auto& c : flood) open += !c->ClosedNow();
  EXPECT_LE(open, 768u);
  EXPECT_GE(open, 700u);
  // Once the flood ends, everyone is served again.
  flood.clear();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(HttpClient(http().port(), 5s).Get("/healthz").status, 200);
}

class UncappedFlood : public ConnectionFlood {
 protected:
  std::vector<std::string> ServerArgs() const override {
    return {"--max-connections", "100000", "--max-connections-per-address", "100000"};
  }
};

TEST_F(UncappedFlood, OutOfDescriptorsTheAcceptLoopWaitsInsteadOfSpinning) {
  // With caps above the open-file limit, accept(2) fails with EMFILE: the loop pauses
  // between tries (it used to retry at once, at 100% CPU), and serves again once
  // connections end.
  auto flood = Flood(1100, "127.0.0.3");
  std::this_thread::sleep_for(1s);
  EXPECT_LT(CpuShare(server().pid(), 2s), 0.3) << "the accept loop spins on EMFILE";
  flood.clear();
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(HttpClient(http().port(), 10s).Get("/healthz").status, 200);
  EXPECT_NE(server().LogTail(20000).find("out of descriptors"), std::string::npos);
}

TEST_F(HttpAttack, HeadOnAnonymousRoutesActsAsGetWithoutABody) {
  const std::string project = CreateProject("python-3.11", {{"main.py", "print(1)\n"}});
  ASSERT_EQ(http().Request("PATCH", "/api/v1/projects/" + project, R"({"visibility":"public"})").status, 200);
  DefaultHeaders().clear();  // anonymous from here
  const std::vector<std::string> paths = {"/api/v1/runtimes", "/api/v1/faq", "/api/v1/gallery",
                                         "/api/v1/projects/" + project,
                                         "/api/v1/projects/" + project + "/files/main.py", "/"};
  for (const auto& path : paths) {
    auto get = http().Get(path);
    auto head = http().Request("HEAD", path);
    EXPECT_EQ(get.status, 200) << path << ": " << get.body.substr(0, 200);
    EXPECT_EQ(head.status, get.status) << path << ": " << head.body.substr(0, 200);
    EXPECT_EQ(head.Header("content-type"), get.Header("content-type")) << path;
    EXPECT_EQ(head.Header("content-length"), std::to_string(get.body.size())) << path;
    EXPECT_TRUE(head.body.empty()) << path;
  }
  // And what needs a login still does.
  EXPECT_EQ(http().Request("HEAD", "/api/v1/me").status, 401);
  EXPECT_EQ(http().Request("HEAD", "/api/v1/projects").status, 401);
}

TEST_F(HttpAttack, NumbersInAnswersAreWrittenAsPeopleWriteThem) {
  auto me = http().Get("/api/v1/me");
  ASSERT_EQ(me.status, 200);
  EXPECT_NE(me.body.find("\"cpus\":0"), std::string::npos) << me.body;
  for (size_t i = 1; i + 1 < me.body.size(); ++i) {
    const bool exponent = (me.body[i] == 'E' || me.body[i] == 'e') && std::isdigit(me.body[i - 1]) &&
                          (std::isdigit(me.body[i + 1]) || me.body[i + 1] == '-');
    EXPECT_FALSE(exponent) << "a number in exponent form: " << me.body;
  }
}

class MetricsAccess : public ServerTest {
 protected:
  std::vector<std::string> ServerArgs() const override {
    return {"--metrics-allow", "127.0.0.2/32", "--metrics-token", "scrape-secret"};
  }
};

int RawGetStatus(unsigned short port, const std::string& source, const std::string& extra = "") {
  RawConnection c(port, source);
  c.SendAll("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + extra + "\r\n");
  return StatusOf(c.ReadAll());
}

TEST_F(HttpAttack, MetricsAreServedToLoopbackOnlyByDefault) {
  auto local = http().Get("/metrics");
  EXPECT_EQ(local.status, 200);
  EXPECT_NE(local.body.find("runlet_http_requests_total"), std::string::npos);
  // Through a proxy on this machine, the client is elsewhere.
  EXPECT_TRUE(IsError(http().Get("/metrics", {{"X-Forwarded-For", "203.0.113.9"}}), 403, "forbidden"));
  EXPECT_TRUE(IsError(http().Get("/metrics", {{"Forwarded", "for=203.0.113.9"}}), 403, "forbidden"));
}

TEST_F(MetricsAccess, MetricsAreServedToTheAllowedAddressesOrWithTheTokenAndRateLimited) {
  EXPECT_EQ(RawGetStatus(http().port(), "127.0.0.1"), 403);
  EXPECT_EQ(RawGetStatus(http().port(), "127.0.0.1", "Authorization: Bearer wrong-secret\r\n"), 403);
  EXPECT_EQ(RawGetStatus(http().port(), "127.0.0.1", "Authorization: Bearer scrape-secret\r\n"), 200);
  EXPECT_EQ(RawGetStatus(http().port(), "127.0.0.2"), 200);
  // A burst of scrapes from one address meets the rate limit.
  int limited = 0;
  for (int i = 0; i < 30; ++i) limited += RawGetStatus(http().port(), "127.0.0.2") == 429;
  EXPECT_GT(limited, 0) << "30 scrapes at once were all served";
  EXPECT_EQ(RawGetStatus(http().port(), "127.0.0.3", "Authorization: Bearer scrape-secret\r\n"), 200)
      << "the rate limit is per address";
}

}  // namespace
}  // namespace runlet::testing
