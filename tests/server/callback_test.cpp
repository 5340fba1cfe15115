// Execute callbacks against real HTTP receivers on loopback: results arrive when the
// admin lists loopback explicitly; an allow-list of everything reaches neither loopback
// (in any spelling) nor this machine; one user's slow receivers do not delay another
// user's callback; a user's waiting callbacks are bounded with a clear error.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "accounts_test.h"

namespace runlet::testing {
namespace {

// An HTTP server on 127.0.0.1 that records each request it reads. A prompt one answers
// 200 at once; a slow one never answers, holding each connection until Stop().
class Receiver {
 public:
  struct Received {
    std::string head, body;
    std::chrono::steady_clock::time_point at;
  };

  explicit Receiver(bool prompt) : prompt_(prompt) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd_, 64) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error("receiver: cannot listen");
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~Receiver() { Stop(); }

  unsigned short port() const { return port_; }
  std::string Url(const std::string& path = "/") const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

  void Stop() {
    if (stopping_.exchange(true)) return;
    acceptor_.join();
    std::vector<std::thread> handlers;
    {
      std::lock_guard lock(mu_);
      handlers.swap(handlers_);
    }
    for (auto& t : handlers) t.join();
    ::close(fd_);
  }

  // Waits until `n` requests have been read; all of them so far.
  std::vector<Received> WaitFor(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return received_.size() >= n; });
    return received_;
  }
  int connections() const { return connections_.load(); }

 private:
  void Accept() {
    while (!stopping_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int conn = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) continue;
      connections_.fetch_add(1);
      std::lock_guard lock(mu_);
      handlers_.emplace_back([this, conn] { Handle(conn); });
    }
  }

  void Handle(int conn) {
    std::string data;
    char buf[4096];
    size_t need = std::string::npos;
    while (!stopping_ && (need == std::string::npos || data.size() < need)) {
      pollfd p{conn, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const ssize_t n = ::read(conn, buf, sizeof buf);
      if (n <= 0) break;
      data.append(buf, static_cast<size_t>(n));
      const size_t end = data.find("\r\n\r\n");
      if (end != std::string::npos && need == std::string::npos) {
        std::string head = data.substr(0, end);
        for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const size_t cl = head.find("content-length:");
        need = end + 4 + (cl == std::string::npos ? 0 : std::stoul(head.substr(cl + 15)));
      }
    }
    if (need != std::string::npos && data.size() >= need) {
      const size_t end = data.find("\r\n\r\n");
      {
        std::lock_guard lock(mu_);
        received_.push_back({data.substr(0, end), data.substr(end + 4), std::chrono::steady_clock::now()});
      }
      cv_.notify_all();
      if (prompt_) {
        const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        (void)!::write(conn, ok.data(), ok.size());
      } else {
        while (!stopping_) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    ::close(conn);
  }

  const bool prompt_;
  int fd_ = -1;
  unsigned short port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::thread> handlers_;
  std::vector<Received> received_;
};

class Callbacks : public AccountsTest {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--callback-allow", "127.0.0.1/32"}; }
  HttpResponse ExecuteAs(const std::string& token, const std::string& code, const std::string& callback, bool wait) {
    return Send("POST", wait ? "/api/v1/execute" : "/api/v1/execute?wait=false", As(token),
                json::serialize(PythonRequest(code, {{"callback_url", callback}})));
  }
};

TEST_F(Callbacks, ResultsArriveAtAnExplicitlyAllowedLoopbackTarget) {
  Receiver receiver(true);
  const std::string me = NewUser("hooked");
  auto r = ExecuteAs(me, "print('called back')\n", receiver.Url("/hook?run=1"), true);
  ASSERT_EQ(r.status, 200) << r.body;
  auto got = receiver.WaitFor(1, 20s);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].head.rfind("POST /hook?run=1 HTTP/1.1", 0), 0u) << got[0].head;
  const json::value result = json::parse(got[0].body);
  EXPECT_EQ(Str(result, "id"), Str(r.Json(), "id"));
  EXPECT_EQ(Str(result, "status"), "ok");
  EXPECT_EQ(Str(result, "stdout"), "called back\n");
  receiver.Stop();
}

TEST_F(Callbacks, SlowTargetsOfOneUserDoNotDelayAnotherUsersCallback) {
  Receiver slow(false), prompt(true);
  const std::string sluggish = NewUser("sluggish"), brisk = NewUser("brisk");
  for (int i = 0; i < 4; ++i) {
    auto r = ExecuteAs(sluggish, "print(" + std::to_string(i) + ")\n", slow.Url("/" + std::to_string(i)), false);
    ASSERT_EQ(r.status, 202) << r.body;
  }
  // The slow target holds deliveries (it reads them and never answers).
  for (int i = 0; i < 200 && slow.connections() < 1; ++i) std::this_thread::sleep_for(50ms);
  ASSERT_GE(slow.connections(), 1) << "the slow target was never called";
  auto r = ExecuteAs(brisk, "print('brisk')\n", prompt.Url(), true);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto finished = std::chrono::steady_clock::now();
  auto got = prompt.WaitFor(1, 30s);
  ASSERT_EQ(got.size(), 1u) << "another user's callback never arrived";
  EXPECT_LT(got[0].at - finished, 3s) << "another user's callback waited behind the slow ones";
  slow.Stop();
  prompt.Stop();
}

class CallbackQueue : public Callbacks {
 protected:
  std::vector<std::string> ServerArgs() const override {
    return {"--callback-allow", "127.0.0.1/32", "--callback-queue", "2"};
  }
};

TEST_F(CallbackQueue, AUsersWaitingCallbacksAreBoundedWithAClearError) {
  Receiver slow(false), prompt(true);
  const std::string greedy = NewUser("greedy"), other = NewUser("other");
  for (int i = 0; i < 2; ++i) ASSERT_EQ(ExecuteAs(greedy, "print(1)\n", slow.Url(), false).status, 202);
  auto full = ExecuteAs(greedy, "print(1)\n", slow.Url(), false);
  EXPECT_TRUE(IsError(full, 429, "too_many_requests"));
  EXPECT_NE(Str(full.Json(), "message").find("callbacks"), std::string::npos) << full.body;
  EXPECT_EQ(ExecuteAs(other, "print(2)\n", prompt.Url(), false).status, 202) << "another user's are not";
  EXPECT_EQ(prompt.WaitFor(1, 30s).size(), 1u);
  slow.Stop();
  prompt.Stop();
}

class WideCallbacks : public Callbacks {
 protected:
  std::vector<std::string> ServerArgs() const override {
    return {"--callback-allow", "0.0.0.0/0", "--callback-allow", "::/0"};
  }
};

// This machine's non-loopback addresses.
std::vector<std::string> OwnAddresses() {
  std::vector<std::string> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, text, sizeof text);
    if (std::string(text).rfind("127.", 0) != 0) out.emplace_back(text);
  }
  ::freeifaddrs(list);
  return out;
}

TEST_F(WideCallbacks, AnAllowListOfEverythingReachesNeitherLoopbackNorThisMachine) {
  Receiver receiver(true);
  const std::string me = NewUser("wide");
  const std::string port = std::to_string(receiver.port());
  std::vector<std::string> urls = {
      "http://127.0.0.1:" + port + "/",         "http://localhost:" + port + "/",
      "http://127.1:" + port + "/",             "http://[::ffff:127.0.0.1]:" + port + "/",
      "http://[::1]:" + port + "/",             "http://0.0.0.0:" + port + "/",
      "http://[::]:" + port + "/",              "http://[64:ff9b::7f00:1]:" + port + "/",
      "http://169.254.169.254/latest/meta-data", "http://[fe80::1]:" + port + "/",
      "http://224.0.0.1:" + port + "/",         "http://127.0.0.1:" + std::to_string(server().port()) + "/api/v1/auth/signup",
  };
  const auto own = OwnAddresses();
  ASSERT_FALSE(own.empty()) << "this machine has no non-loopback IPv4 address to try";
  for (const auto& a : own) urls.push_back("http://" + a + ":" + port + "/");
  for (const auto& url : urls) {
    auto r = ExecuteAs(me, "print(1)\n", url, false);
    EXPECT_TRUE(IsError(r, 403, "forbidden")) << url;
  }
  EXPECT_TRUE(receiver.WaitFor(1, 1s).empty()) << "a callback reached loopback";
  // Bad URLs are refused as such.
  EXPECT_TRUE(IsError(ExecuteAs(me, "print(1)\n", "https://example.com/", false), 400, "invalid_request"));
  EXPECT_TRUE(IsError(ExecuteAs(me, "print(1)\n", "not a url", false), 400, "invalid_request"));
  EXPECT_TRUE(IsError(ExecuteAs(me, "print(1)\n", "http://127.0.0.1:99999/", false), 400, "invalid_request"));
  receiver.Stop();
}

// Judge0's callback_url: a PUT of the submission's default fields in base64, under the
// same rules as execute callbacks.
class Judge0Callbacks : public Callbacks {
 protected:
  std::vector<std::string> ServerArgs() const override {
    return {"--callback-allow", "127.0.0.1/32", "--compat", "judge0"};
  }
};

TEST_F(Judge0Callbacks, ASubmissionIsPutToItsCallbackInBase64) {
  Receiver receiver(true);
  json::object body{{"language_id", 71}, {"source_code", "print('called back')\n"}, {"callback_url", receiver.Url("/j0")}};
  auto r = http().Request("POST", "/judge0/submissions", json::serialize(body));
  ASSERT_EQ(r.status, 201) << r.body;
  auto got = receiver.WaitFor(1, 30s);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].head.rfind("PUT /j0 HTTP/1.1", 0), 0u) << got[0].head;
  const json::value result = json::parse(got[0].body);
  EXPECT_EQ(Str(result, "token"), Str(r.Json(), "token"));
  EXPECT_EQ(Str(result, "stdout"), "Y2FsbGVkIGJhY2sK\n") << "base64 of \"called back\\n\"";
  EXPECT_EQ(result.at("status").at("id").as_int64(), 3);
  // A target outside --callback-allow is refused with Judge0's field error, and nothing runs.
  json::object outside{{"language_id", 71}, {"source_code", "print(1)"}, {"callback_url", "http://10.1.2.3/x"}};
  auto refused = http().Request("POST", "/judge0/submissions", json::serialize(outside));
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_TRUE(refused.Json().at("callback_url").is_array()) << refused.body;
  const std::string self = "http://127.0.0.1:" + std::to_string(server().port()) + "/judge0/about";
  auto loop = http().Request("POST", "/judge0/submissions",
                             json::serialize(json::object{{"language_id", 71}, {"source_code", "print(1)"}, {"callback_url", self}}));
  EXPECT_EQ(loop.status, 422) << "the server's own port: " << loop.body;
  receiver.Stop();
}

}  // namespace
}  // namespace runlet::testing
