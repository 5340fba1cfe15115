#include "http/callback_sender.h"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <boost/url.hpp>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

namespace runlet::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// Ranges that reach this machine, nothing, or many machines at once, directly or through
// a translation of an IPv4 address; called only when an allowed range lies inside them.
const std::vector<Cidr>& SpecialRanges() {
  static const std::vector<Cidr> ranges = [] {
    std::vector<Cidr> out;
    for (const char* text : {"0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4", "::/96",
                             "::1/128", "fe80::/10", "fec0::/10", "ff00::/8", "64:ff9b::/96", "64:ff9b:1::/48",
                             "2002::/16", "2001::/32", "100::/64"}) {
      out.push_back(*Cidr::Parse(text));
    }
    return out;
  }();
  return ranges;
}

// This machine's interface addresses, now (interfaces come and go).
std::vector<IpAddress> LocalAddresses() {
  std::vector<IpAddress> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (auto a = IpAddress::FromSockaddr(i->ifa_addr)) out.push_back(*a);
  }
  ::freeifaddrs(list);
  return out;
}

IpAddress FromAsio(const asio::ip::address& a) {
  if (a.is_v4()) return IpAddress::FromV4(a.to_v4().to_uint());
  const auto bytes = a.to_v6().to_bytes();
  std::array<uint8_t, 16> copy;
  std::copy(bytes.begin(), bytes.end(), copy.begin());
  return IpAddress::FromV6(copy);
}

struct ParsedUrl {
  std::string host;    // a name, or an address without brackets
  std::string port;    // digits
  std::string target;  // path and query
  std::string host_header;
};

Result<ParsedUrl> ParseCallbackUrl(const std::string& url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return Fail(ErrorKind::kInvalid, "callback_url is not a valid URL");
  if (parsed->scheme() != "http") return Fail(ErrorKind::kInvalid, "callback_url must be an http:// URL");
  ParsedUrl p;
  p.host = std::string(parsed->host_address());
  if (p.host.empty()) return Fail(ErrorKind::kInvalid, "callback_url has no host");
  for (auto& c : p.host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  p.port = parsed->has_port() ? std::string(parsed->port()) : "80";
  const unsigned long port = p.port.empty() ? 0 : std::strtoul(p.port.c_str(), nullptr, 10);
  if (port == 0 || port > 65535 || p.port.size() > 5) return Fail(ErrorKind::kInvalid, "callback_url has a bad port");
  p.target = std::string(parsed->encoded_target());
  if (p.target.empty()) p.target = "/";
  p.host_header = std::string(parsed->encoded_host_and_port());
  return p;
}

}  // namespace

struct CallbackSender::Impl {
  enum class State { kCheckQueued, kChecking, kReserved, kQueued, kSending };
  struct Ticket {
    ParsedUrl url;
    int64_t user = 0;
    std::string target_key;  // host:port
    State state = State::kCheckQueued;
    std::function<void(Result<uint64_t>)> done;  // of the admission
    std::string body;
    bool put = false;  // PUT rather than POST
    int attempts = 0;
    Clock::time_point not_before;
  };

  CallbackOptions options;
  std::mutex mu;
  std::condition_variable cv;
  std::map<uint64_t, Ticket> tickets;  // in order of arrival
  std::map<int64_t, size_t> pending_by_user;
  std::map<int64_t, int> running_by_user;
  std::map<std::string, int> running_by_target;
  uint64_t next_id = 1;
  bool stopping = false;
  std::vector<std::thread> threads;
  std::mutex join_mu;

  // Whether a callback may go to `a`:`port` (see the header).
  Status CheckAddress(const IpAddress& a, unsigned short port) const {
    const std::string text = a.ToString();
    if (!AnyContains(options.allowed, a))
      return Fail(ErrorKind::kForbidden, "callback_url resolves to " + text + ", which the admin does not allow");
    bool special = false;
    for (const auto& range : SpecialRanges()) {
      if (!range.Contains(a)) continue;
      special = true;
      const bool named = std::any_of(options.allowed.begin(), options.allowed.end(),
                                     [&](const Cidr& c) { return range.Covers(c) && c.Contains(a); });
      if (!named) {
        return Fail(ErrorKind::kForbidden, "callback_url resolves to " + text + " (" + range.ToString() +
                                               "), which only an allow-list entry inside that range admits");
      }
    }
    const auto local = LocalAddresses();
    const bool own = std::find(local.begin(), local.end(), a) != local.end();
    if (own && !special) {
      const bool listed = std::any_of(options.allowed.begin(), options.allowed.end(),
                                      [&](const Cidr& c) { return c.IsExactly(a); });
      if (!listed)
        return Fail(ErrorKind::kForbidden, "callback_url resolves to " + text + ", an address of this server");
    }
    if ((own || special) && options.own_port != 0 && port == options.own_port)
      return Fail(ErrorKind::kForbidden, "callback_url points at this server itself");
    return {};
  }

  // Resolves (blocking: on a sender thread) and checks every address.
  Result<std::vector<tcp::endpoint>> Resolve(const ParsedUrl& url) const {
    asio::io_context ioc;
    tcp::resolver resolver(ioc);
    beast::error_code ec;
    auto results = resolver.resolve(url.host, url.port, ec);
    if (ec) return Fail(ErrorKind::kInvalid, "callback_url host does not resolve: " + ec.message());
    std::vector<tcp::endpoint> endpoints;
    for (const auto& r : results) {
      if (auto st = CheckAddress(FromAsio(r.endpoint().address()), r.endpoint().port()); !st)
        return tl::unexpected(st.error());
      endpoints.push_back(r.endpoint());
    }
    if (endpoints.empty()) return Fail(ErrorKind::kInvalid, "callback_url host has no address");
    return endpoints;
  }

  // One attempt: resolve and check again, connect to a checked address (checked once
  // more as connected), POST, read the status. True on a 2xx answer.
  bool PostOnce(const ParsedUrl& url, const std::string& body, bool put) const {
    auto endpoints = Resolve(url);
    if (!endpoints) return false;
    beast::http::request<beast::http::string_body> req{put ? beast::http::verb::put : beast::http::verb::post,
                                                       url.target, 11};
    req.set(beast::http::field::host, url.host_header);
    req.set(beast::http::field::content_type, "application/json");
    req.set(beast::http::field::user_agent, "runlet-callback");
    req.body() = body;
    req.prepare_payload();
    for (const auto& endpoint : *endpoints) {
      asio::io_context ioc;
      beast::tcp_stream stream(ioc);
      beast::flat_buffer buffer;
      beast::http::response_parser<beast::http::string_body> parser;
      parser.body_limit(64 * 1024);
      bool connected = false, ok = false;
      stream.expires_after(options.connect_timeout);
      stream.async_connect(endpoint, [&](beast::error_code ec) {
        if (ec) return;
        beast::error_code peer_ec;
        const auto peer = stream.socket().remote_endpoint(peer_ec);
        if (peer_ec || !CheckAddress(FromAsio(peer.address()), peer.port())) return;
        connected = true;
        stream.expires_after(options.request_timeout);
        beast::http::async_write(stream, req, [&](beast::error_code wec, size_t) {
          if (wec) return;
          beast::http::async_read(stream, buffer, parser, [&](beast::error_code rec, size_t) {
            ok = !rec && parser.get().result_int() >= 200 && parser.get().result_int() < 300;
          });
        });
      });
      ioc.run();
      if (connected) return ok;  // it answered (or failed) once: no second address
    }
    return false;
  }

  void Work() {
    std::unique_lock lock(mu);
    for (;;) {
      if (stopping) return;
      const auto now = Clock::now();
      auto next_due = Clock::time_point::max();
      auto pick = tickets.end();
      for (auto it = tickets.begin(); it != tickets.end(); ++it) {
        Ticket& t = it->second;
        if (t.state != State::kCheckQueued && t.state != State::kQueued) continue;
        if (t.state == State::kQueued && t.not_before > now) {
          next_due = std::min(next_due, t.not_before);
          continue;
        }
        auto u = running_by_user.find(t.user);
        auto h = running_by_target.find(t.target_key);
        if ((u != running_by_user.end() && u->second >= options.per_user_running) ||
            (h != running_by_target.end() && h->second >= options.per_target_running))
          continue;
        pick = it;
        break;
      }
      if (pick == tickets.end()) {
        if (next_due == Clock::time_point::max()) {
          cv.wait(lock);
        } else {
          cv.wait_until(lock, next_due);
        }
        continue;
      }
      const uint64_t id = pick->first;
      Ticket& t = pick->second;
      const bool check = t.state == State::kCheckQueued;
      t.state = check ? State::kChecking : State::kSending;
      const int64_t user = t.user;
      const std::string key = t.target_key;
      const ParsedUrl url = t.url;
      const std::string body = check ? std::string() : t.body;
      const bool put = t.put;
      ++running_by_user[user];
      ++running_by_target[key];
      lock.unlock();

      std::function<void(Result<uint64_t>)> done;
      Result<uint64_t> verdict = id;
      bool finished = false;  // the ticket is done with
      if (check) {
        auto resolved = Resolve(url);
        if (!resolved) verdict = tl::unexpected(resolved.error());
      } else {
        finished = PostOnce(url, body, put);
      }

      lock.lock();
      if (--running_by_user[user] == 0) running_by_user.erase(user);
      if (--running_by_target[key] == 0) running_by_target.erase(key);
      auto it = tickets.find(id);
      if (it != tickets.end()) {
        Ticket& mine = it->second;
        if (check) {
          done = std::move(mine.done);
          mine.state = State::kReserved;
          finished = !verdict;
        } else if (!finished) {
          ++mine.attempts;
          if (mine.attempts >= options.attempts) {
            finished = true;
          } else {
            mine.state = State::kQueued;
            mine.not_before = Clock::now() + options.first_retry * (1 << (mine.attempts - 1));
          }
        }
        if (finished) Drop(it);
      }
      cv.notify_all();
      if (done) {
        lock.unlock();
        done(verdict);
        lock.lock();
      }
    }
  }

  void Drop(std::map<uint64_t, Ticket>::iterator it) {
    auto p = pending_by_user.find(it->second.user);
    if (p != pending_by_user.end() && --p->second == 0) pending_by_user.erase(p);
    tickets.erase(it);
  }
};

CallbackSender::CallbackSender(CallbackOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  for (int i = 0; i < std::max(1, impl_->options.threads); ++i) impl_->threads.emplace_back([this] { impl_->Work(); });
}

CallbackSender::~CallbackSender() { Stop(); }

void CallbackSender::Stop() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  std::lock_guard join(impl_->join_mu);
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  std::lock_guard lock(impl_->mu);
  impl_->tickets.clear();  // admissions not resolved are dropped, their `done` uncalled
  impl_->pending_by_user.clear();
}

void CallbackSender::Admit(const std::string& url, int64_t user, std::function<void(Result<uint64_t>)> done) {
  auto parsed = ParseCallbackUrl(url);
  if (!parsed) return done(tl::unexpected(parsed.error()));
  if (impl_->options.allowed.empty())
    return done(Fail(ErrorKind::kForbidden, "callbacks are not enabled on this server (the admin allows no addresses)"));
  Error refusal;
  {
    std::lock_guard lock(impl_->mu);
    size_t& mine = impl_->pending_by_user[user];
    if (impl_->stopping) {
      refusal = Error{"the server is stopping", 0, ErrorKind::kUnavailable};
    } else if (mine >= impl_->options.per_user_pending) {
      refusal = Error{"you have " + std::to_string(mine) + " callbacks waiting to be delivered; wait for some to be done",
                      0, ErrorKind::kTooMany};
    } else if (impl_->tickets.size() >= impl_->options.total_pending) {
      refusal = Error{"too many callbacks are waiting to be delivered; try again later", 0, ErrorKind::kUnavailable};
    } else {
      Impl::Ticket t;
      t.url = std::move(*parsed);
      t.user = user;
      t.target_key = t.url.host + ":" + t.url.port;
      t.done = std::move(done);
      impl_->tickets.emplace(impl_->next_id++, std::move(t));
      ++mine;
      impl_->cv.notify_one();
      return;
    }
    if (mine == 0) impl_->pending_by_user.erase(user);
  }
  done(tl::unexpected(refusal));
}

void CallbackSender::Send(uint64_t ticket, std::string json_body, bool put) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->tickets.find(ticket);
  if (it == impl_->tickets.end() || it->second.state != Impl::State::kReserved) return;
  it->second.body = std::move(json_body);
  it->second.put = put;
  it->second.state = Impl::State::kQueued;
  it->second.not_before = Clock::now();
  impl_->cv.notify_one();
}

void CallbackSender::Release(uint64_t ticket) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->tickets.find(ticket);
  if (it != impl_->tickets.end() && it->second.state == Impl::State::kReserved) impl_->Drop(it);
}

}  // namespace runlet::http
