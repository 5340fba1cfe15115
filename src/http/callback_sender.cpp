#include "http/callback_sender.h"

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <boost/url.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace runlet::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;

namespace {

struct Cidr {
  asio::ip::address base;
  int bits = 0;
  bool Contains(const asio::ip::address& a) const {
    if (a.is_v4() != base.is_v4()) return false;
    auto bytes_of = [](const asio::ip::address& x) {
      std::vector<unsigned char> v;
      if (x.is_v4()) {
        auto b = x.to_v4().to_bytes();
        v.assign(b.begin(), b.end());
      } else {
        auto b = x.to_v6().to_bytes();
        v.assign(b.begin(), b.end());
      }
      return v;
    };
    auto x = bytes_of(a), y = bytes_of(base);
    int left = bits;
    for (size_t i = 0; i < x.size() && left > 0; ++i, left -= 8) {
      const unsigned char mask = left >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - left));
      if ((x[i] & mask) != (y[i] & mask)) return false;
    }
    return true;
  }
};

struct Target {
  std::string host, port, target;
  std::vector<tcp::endpoint> endpoints;
};

}  // namespace

struct CallbackSender::Impl {
  std::vector<Cidr> allowed;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::pair<std::string, std::string>> queue;
  bool stopping = false;
  std::thread worker;

  Result<Target> Resolve(const std::string& url) const {
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed) return Fail(ErrorKind::kInvalid, "callback_url is not a valid URL");
    if (parsed->scheme() != "http") return Fail(ErrorKind::kInvalid, "callback_url must be an http:// URL");
    if (allowed.empty()) {
      return Fail(ErrorKind::kForbidden, "callbacks are not enabled on this server (the admin allows no addresses)");
    }
    Target t;
    t.host = std::string(parsed->host());
    t.port = parsed->has_port() ? std::string(parsed->port()) : "80";
    t.target = std::string(parsed->encoded_target());
    if (t.target.empty()) t.target = "/";
    asio::io_context ioc;
    tcp::resolver resolver(ioc);
    beast::error_code ec;
    auto results = resolver.resolve(t.host, t.port, ec);
    if (ec) return Fail(ErrorKind::kInvalid, "callback_url host does not resolve: " + ec.message());
    for (const auto& r : results) {
      bool ok = false;
      for (const auto& c : allowed) ok |= c.Contains(r.endpoint().address());
      if (!ok) {
        return Fail(ErrorKind::kForbidden,
                    "callback_url resolves to " + r.endpoint().address().to_string() + ", which the admin does not allow");
      }
      t.endpoints.push_back(r.endpoint());
    }
    if (t.endpoints.empty()) return Fail(ErrorKind::kInvalid, "callback_url host has no address");
    return t;
  }

  bool PostOnce(const std::string& url, const std::string& body) {
    // Resolved and checked again at send time, and connected to the checked address
    // itself: a DNS answer that changed in between cannot redirect the request.
    auto target = Resolve(url);
    if (!target) return false;
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::seconds(10));
    beast::error_code ec;
    stream.connect(target->endpoints.front(), ec);
    if (ec) return false;
    beast::http::request<beast::http::string_body> req{beast::http::verb::post, target->target, 11};
    req.set(beast::http::field::host, target->host);
    req.set(beast::http::field::content_type, "application/json");
    req.set(beast::http::field::user_agent, "runlet-callback");
    req.body() = body;
    req.prepare_payload();
    beast::http::write(stream, req, ec);
    if (ec) return false;
    beast::flat_buffer buffer;
    beast::http::response_parser<beast::http::string_body> parser;
    parser.body_limit(64 * 1024);
    beast::http::read(stream, buffer, parser, ec);
    if (ec) return false;
    return parser.get().result_int() < 300;
  }

  void Run() {
    for (;;) {
      std::pair<std::string, std::string> job;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return stopping || !queue.empty(); });
        if (queue.empty()) return;
        job = std::move(queue.front());
        queue.pop_front();
      }
      for (int attempt = 0; attempt < 3; ++attempt) {
        if (PostOnce(job.first, job.second)) break;
        std::unique_lock lock(mu);
        if (cv.wait_for(lock, std::chrono::seconds(1 << attempt), [&] { return stopping; })) return;
      }
    }
  }
};

CallbackSender::CallbackSender(std::vector<std::string> allowed) : impl_(std::make_unique<Impl>()) {
  for (const auto& text : allowed) {
    const size_t slash = text.find('/');
    beast::error_code ec;
    Cidr c;
    c.base = asio::ip::make_address(text.substr(0, slash), ec);
    if (ec) continue;
    c.bits = slash == std::string::npos ? (c.base.is_v4() ? 32 : 128) : std::atoi(text.c_str() + slash + 1);
    impl_->allowed.push_back(c);
  }
  impl_->worker = std::thread([this] { impl_->Run(); });
}

CallbackSender::~CallbackSender() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  impl_->worker.join();
}

Status CallbackSender::Check(const std::string& url) const {
  auto t = impl_->Resolve(url);
  if (!t) return tl::unexpected(t.error());
  return {};
}

void CallbackSender::Send(const std::string& url, std::string json_body) {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->queue.size() > 10000) return;  // bounded: drop rather than grow
    impl_->queue.emplace_back(url, std::move(json_body));
  }
  impl_->cv.notify_one();
}

}  // namespace runlet::http
