#include "http/preview_server.h"

#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include <atomic>
#include <deque>
#include <sstream>
#include <thread>

#include "core/log.h"

namespace runlet::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::ip::tcp;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr const char* kGrantParameter = "runlet_preview_grant";
constexpr const char* kCookie = "runlet_preview";

// The value of `name` in a Cookie header, and the header without it.
std::string TakeCookie(std::string& header, const std::string& name) {
  std::string found, rest;
  size_t pos = 0;
  while (pos <= header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string part = header.substr(pos, end - pos);
    while (!part.empty() && part.front() == ' ') part.erase(0, 1);
    if (part.rfind(name + "=", 0) == 0) {
      found = part.substr(name.size() + 1);
    } else if (!part.empty()) {
      rest += (rest.empty() ? "" : "; ") + part;
    }
    pos = end + 1;
  }
  header = rest;
  return found;
}

// `target` without the grant parameter, and the grant ("" when there is none).
std::string TakeGrant(std::string& target) {
  const size_t q = target.find('?');
  if (q == std::string::npos) return "";
  std::string path = target.substr(0, q), query = target.substr(q + 1), kept, grant;
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t end = query.find('&', pos);
    if (end == std::string::npos) end = query.size();
    const std::string part = query.substr(pos, end - pos);
    if (part.rfind(std::string(kGrantParameter) + "=", 0) == 0) {
      grant = part.substr(std::string(kGrantParameter).size() + 1);
    } else if (!part.empty()) {
      kept += (kept.empty() ? "" : "&") + part;
    }
    pos = end + 1;
  }
  target = kept.empty() ? path : path + "?" + kept;
  return grant;
}

std::string SimpleResponse(int status, const std::string& reason, const std::string& text,
                           const std::string& extra_headers = {}) {
  return "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nContent-Type: text/plain; charset=utf-8\r\n" +
         "Content-Length: " + std::to_string(text.size()) + "\r\nConnection: close\r\nCache-Control: no-store\r\n" +
         extra_headers + "\r\n" + text;
}

// Bytes from the app to the client, handed over from the workspace's thread.
struct Downstream {
  explicit Downstream(asio::any_io_executor ex) : timer(ex) { timer.expires_at(asio::steady_timer::time_point::max()); }
  std::mutex mu;
  std::deque<std::string> chunks;
  bool ended = false;
  std::shared_ptr<workspaces::WorkspaceManager::Connection> conn;
  std::string connect_error;
  bool connected_done = false;
  bool client_gone = false;  // the reader of the client's bytes has ended
  asio::steady_timer timer;
};

}  // namespace

struct PreviewServer::Impl {
  PreviewOptions options;
  workspaces::WorkspaceManager& manager;
  workspaces::PreviewGrants& grants;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
  std::atomic<size_t> connections{0};
  unsigned short port = 0;

  Impl(PreviewOptions o, workspaces::WorkspaceManager& m, workspaces::PreviewGrants& g)
      : options(std::move(o)), manager(m), grants(g) {}

  asio::awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kUseTuple);
      if (ec == asio::error::operation_aborted) co_return;
      if (ec) continue;
      if (connections.load() >= options.max_connections) continue;  // closed as it goes
      ++connections;
      // Each connection on a strand of its own: its coroutines and wake-ups never overlap.
      asio::co_spawn(asio::make_strand(ioc), Serve(std::move(socket)), [this](std::exception_ptr failure) {
        --connections;
        if (failure) Log("error", "a preview connection failed");
      });
    }
  }

  asio::awaitable<void> Serve(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer(32 << 10);
    bhttp::request_parser<bhttp::empty_body> parser;
    parser.header_limit(16 << 10);
    stream.expires_after(std::chrono::seconds(15));
    auto [rec, rn] = co_await bhttp::async_read_header(stream, buffer, parser, kUseTuple);
    if (rec) co_return;
    auto& req = parser.get();
    auto reply = [&](std::string text) -> asio::awaitable<void> {
      co_await asio::async_write(stream, asio::buffer(text), kUseTuple);
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    };
    // <id>.<domain>[:port]: the preview is named by the host.
    std::string host(req[bhttp::field::host]);
    if (const auto colon = host.rfind(':'); colon != std::string::npos && host.find(']') == std::string::npos)
      host.resize(colon);
    for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::string suffix = "." + options.domain;
    if (host.size() <= suffix.size() || host.compare(host.size() - suffix.size(), suffix.size(), suffix) != 0) {
      co_await reply(SimpleResponse(404, "Not Found", "no such preview\n"));
      co_return;
    }
    const std::string id = host.substr(0, host.size() - suffix.size());
    std::string target(req.target());
    const std::string grant = TakeGrant(target);
    if (!grant.empty()) {
      auto cookie = grants.Redeem(id, grant);
      if (!cookie) {
        co_await reply(SimpleResponse(403, "Forbidden", "this preview link has expired or was used: open the preview from Runlet again\n"));
        co_return;
      }
      // Two forms of the one cookie: SameSite=None and Partitioned (a cookie of the frame
      // kept apart per embedding site, which browsers that block third-party cookies
      // still keep; both need Secure, which browsers take from a localhost origin over
      // plain HTTP too) so that the preview works in the UI's iframe, a cross-site frame,
      // where a Lax cookie is refused; then Lax, which a browser keeps where it refuses
      // the first (plain HTTP on another domain: the preview then works in a tab of its
      // own). The cookie names one preview of one workspace; it is never the API's.
      const std::string set = "Set-Cookie: " + std::string(kCookie) + "=" + *cookie + "; Path=/; HttpOnly; ";
      co_await reply(SimpleResponse(302, "Found", "",
                                    "Location: " + target + "\r\n" + set + "SameSite=None; Secure; Partitioned\r\n" + set +
                                        "SameSite=Lax\r\n"));
      co_return;
    }
    std::string cookies(req[bhttp::field::cookie]);
    const std::string cookie = TakeCookie(cookies, kCookie);
    auto preview = grants.Check(id, cookie);
    if (!preview) {
      co_await reply(SimpleResponse(403, "Forbidden", "this preview needs its owner's grant: open it from Runlet\n"));
      co_return;
    }
    if (!manager.Touch(preview->workspace, preview->user_id)) {
      grants.ForgetWorkspace(preview->workspace);
      co_await reply(SimpleResponse(410, "Gone", "the workspace of this preview has stopped\n"));
      co_return;
    }

    // The app's connection, made inside the workspace.
    auto executor = co_await asio::this_coro::executor;
    auto down = std::make_shared<Downstream>(executor);
    auto wake = [down, executor] { asio::post(executor, [down] { down->timer.cancel(); }); };
    auto on_data = [down, wake](std::string_view bytes) {
      {
        std::lock_guard lock(down->mu);
        if (bytes.empty()) down->ended = true;
        else down->chunks.emplace_back(bytes);
      }
      wake();
    };
    manager.Connect(preview->workspace, preview->port, on_data,
                    [down, wake](Result<std::shared_ptr<workspaces::WorkspaceManager::Connection>> c) {
                      {
                        std::lock_guard lock(down->mu);
                        if (c) down->conn = *c;
                        else down->connect_error = c.error().message;
                        down->connected_done = true;
                      }
                      wake();
                    });
    stream.expires_never();
    for (;;) {
      {
        std::lock_guard lock(down->mu);
        if (down->connected_done) break;
      }
      down->timer.expires_after(std::chrono::seconds(10));
      auto [tec] = co_await down->timer.async_wait(kUseTuple);
      if (!tec) break;  // no answer in 10 s
    }
    std::shared_ptr<workspaces::WorkspaceManager::Connection> conn;
    std::string connect_error;
    {
      std::lock_guard lock(down->mu);
      conn = down->conn;
      connect_error = down->connected_done ? down->connect_error : "the workspace did not answer";
    }
    if (!conn) {
      co_await reply(SimpleResponse(502, "Bad Gateway", "nothing answers on port " + std::to_string(preview->port) +
                                                            " in the workspace: " + connect_error + "\n"));
      co_return;
    }
    // The request's head as the app gets it: without the preview cookie; one request per
    // connection unless it is an upgrade (WebSocket), whose bytes then pass as they are.
    const bool upgrade = !req[bhttp::field::upgrade].empty();
    bhttp::request<bhttp::empty_body> forward = req;
    forward.target(target);
    if (cookies.empty()) forward.erase(bhttp::field::cookie);
    else forward.set(bhttp::field::cookie, cookies);
    if (!upgrade) forward.set(bhttp::field::connection, "close");
    std::ostringstream head;
    head << forward.base();
    conn->Write(head.str());
    if (buffer.size() > 0) conn->Write(beast::buffers_to_string(buffer.data()));

    // Client to app, while the app's answer goes back.
    auto client_to_app = [&stream, conn]() -> asio::awaitable<void> {
      std::string chunk(64 << 10, '\0');
      for (;;) {
        auto [ec, n] = co_await stream.socket().async_read_some(asio::buffer(chunk), kUseTuple);
        if (ec || n == 0) co_return;
        conn->Write(std::string_view(chunk.data(), n));
      }
    };
    asio::co_spawn(executor, client_to_app(), [down, wake](std::exception_ptr) {
      down->client_gone = true;
      wake();
    });
    for (;;) {
      std::deque<std::string> chunks;
      bool ended;
      {
        std::lock_guard lock(down->mu);
        chunks.swap(down->chunks);
        ended = down->ended;
      }
      bool failed = false;
      for (auto& c : chunks) {
        auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(c), kUseTuple);
        if (wec) {
          failed = true;
          break;
        }
        conn->Ack(static_cast<uint32_t>(c.size()));
      }
      if (failed) break;
      if (ended && chunks.empty()) break;
      if (!chunks.empty()) continue;
      if (down->client_gone) break;
      down->timer.expires_after(std::chrono::seconds(60));
      co_await down->timer.async_wait(kUseTuple);
    }
    conn->Close();
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.socket().close(ignored);
    // The reader above ends with the socket; wait for it so nothing it holds goes first.
    while (!down->client_gone) {
      down->timer.expires_after(std::chrono::milliseconds(50));
      co_await down->timer.async_wait(kUseTuple);
    }
  }
};

PreviewServer::PreviewServer(PreviewOptions options, workspaces::WorkspaceManager& manager,
                             workspaces::PreviewGrants& grants)
    : impl_(std::make_unique<Impl>(std::move(options), manager, grants)) {}

PreviewServer::~PreviewServer() {
  asio::post(impl_->ioc, [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
  });
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
}

Status PreviewServer::Start() {
  const auto& listen = impl_->options.listen;
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return Fail(ErrorKind::kInvalid, "--preview-listen must be HOST:PORT, not " + listen);
  std::string host = listen.substr(0, colon);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const int port = std::atoi(listen.substr(colon + 1).c_str());
  beast::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec || port < 0 || port > 65535) return Fail(ErrorKind::kInvalid, "invalid address in --preview-listen " + listen);
  tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Fail("listen on " + listen + " (previews): " + ec.message());
  impl_->port = acceptor.local_endpoint().port();
  asio::co_spawn(impl_->ioc, impl_->Accept(), asio::detached);
  for (int i = 0; i < 2; ++i) impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  return {};
}

unsigned short PreviewServer::port() const { return impl_->port; }

std::string PreviewServer::HostFor(const std::string& preview_id) const {
  return preview_id + "." + impl_->options.domain + ":" + std::to_string(impl_->port);
}

}  // namespace runlet::http
