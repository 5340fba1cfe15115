#include "http/server.h"

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast.hpp>
#include <mutex>
#include <thread>

namespace runlet::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::ip::tcp;
using tcp_stream = beast::tcp_stream;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// Percent-decodes a path; false on malformed escapes or NUL.
bool DecodePath(std::string_view in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    const char c = static_cast<char>(hi * 16 + lo);
    if (c == '\0') return false;
    out += c;
    i += 2;
  }
  return true;
}

api::Request Convert(const bhttp::request<bhttp::string_body>& req, const std::string& remote, bool& ok) {
  api::Request r;
  r.method = std::string(req.method_string());
  r.remote_address = remote;
  ok = true;
  const std::string_view target = req.target();
  const size_t q = target.find('?');
  if (!DecodePath(target.substr(0, q), r.path) || r.path.empty() || r.path.front() != '/') ok = false;
  if (q != std::string_view::npos) {
    // name=value pairs split on '&', each percent-decoded ('+' is a space).
    std::string_view rest = target.substr(q + 1);
    while (ok && !rest.empty()) {
      const size_t amp = rest.find('&');
      std::string_view pair = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
      if (pair.empty()) continue;
      const size_t eq = pair.find('=');
      std::string key_raw(pair.substr(0, eq)), value_raw(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
      std::replace(key_raw.begin(), key_raw.end(), '+', ' ');
      std::replace(value_raw.begin(), value_raw.end(), '+', ' ');
      std::string key, value;
      if (!DecodePath(key_raw, key) || !DecodePath(value_raw, value)) {
        ok = false;
        break;
      }
      r.query[key] = value;
    }
  }
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // A field sent twice is one list (RFC 9110 5.3): X-Forwarded-For from two proxies
    // keeps both hops.
    auto [it, fresh] = r.headers.try_emplace(name, field.value());
    if (!fresh) it->second += (name == "cookie" ? "; " : ", ") + std::string(field.value());
  }
  r.body = req.body();
  return r;
}

}  // namespace

struct HttpServer::Impl {
  ServerOptions options;
  const api::Router& router;
  api::Metrics& metrics;
  asio::io_context ioc;
  // The acceptor's accepts and its close (at SIGTERM, from another thread) run on one
  // strand: with several threads, a close racing an accept crashed the reactor.
  asio::strand<asio::io_context::executor_type> accept_strand = asio::make_strand(ioc);
  tcp::acceptor acceptor{accept_strand};

  Impl(ServerOptions o, const api::Router& r, api::Metrics& m) : options(std::move(o)), router(r), metrics(m) {}

  asio::awaitable<void> WriteResponse(tcp_stream& stream, const api::Response& resp, unsigned version,
                                      bool keep_alive, bool head) {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(resp.status), version};
    res.set(bhttp::field::server, "runlet");
    if (resp.status != 204) res.set(bhttp::field::content_type, resp.content_type);
    res.set(bhttp::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    for (const auto& [k, v] : resp.headers) {
      if (beast::iequals(k, "set-cookie")) {
        res.insert(k, v);  // one field per cookie
      } else {
        res.set(k, v);
      }
    }
    res.keep_alive(keep_alive);
    if (!head) res.body() = resp.body;
    res.prepare_payload();
    if (head) res.content_length(resp.body.size());
    stream.expires_after(std::chrono::seconds(60));
    co_await bhttp::async_write(stream, res, kUseTuple);
  }

  // Waits (without blocking the thread) for a deferred response.
  asio::awaitable<api::Response> AwaitDeferred(const api::Response& pending) {
    struct Slot {
      explicit Slot(asio::any_io_executor ex) : timer(ex) {}
      asio::steady_timer timer;
      std::optional<api::Response> response;
    };
    auto executor = co_await asio::this_coro::executor;
    auto slot = std::make_shared<Slot>(executor);
    slot->timer.expires_at(asio::steady_timer::time_point::max());
    // Only this coroutine owns the slot (and its timer): the deliver function, which a
    // worker thread may call and destroy, holds a weak reference, so the timer is never
    // destroyed off the I/O threads, and a response for a connection that is gone is
    // dropped.
    std::weak_ptr<Slot> weak = slot;
    pending.deferred([weak, executor](api::Response r) {
      asio::post(executor, [weak, r = std::move(r)]() mutable {
        if (auto slot = weak.lock()) {
          slot->response = std::move(r);
          slot->timer.cancel();
        }
      });
    });
    while (!slot->response) co_await slot->timer.async_wait(kUseTuple);
    co_return std::move(*slot->response);
  }

  asio::awaitable<void> StreamEvents(tcp_stream& stream, std::shared_ptr<api::EventSource> events) {
    struct Wake {
      explicit Wake(asio::any_io_executor ex) : timer(ex) {}
      asio::steady_timer timer;
      bool pending = true;
    };
    auto executor = co_await asio::this_coro::executor;
    auto wake = std::make_shared<Wake>(executor);
    events->SetWake([wake, executor] {
      asio::post(executor, [wake] {
        wake->pending = true;
        wake->timer.cancel();
      });
    });
    static const std::string head =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
        "X-Accel-Buffering: no\r\nConnection: close\r\n\r\n: runlet\n\n";
    stream.expires_never();
    auto [ec, n] = co_await asio::async_write(stream.socket(), asio::buffer(head), kUseTuple);
    if (ec) co_return;
    for (;;) {
      wake->pending = false;
      auto chunk = events->Next();
      if (!chunk.text.empty()) {
        auto [wec, wn] = co_await asio::async_write(stream.socket(), asio::buffer(chunk.text), kUseTuple);
        if (wec) co_return;
      }
      if (chunk.done) co_return;
      // Next() returns one page at a time: ask again until a call brings nothing new,
      // or a client that is behind (or replays a finished run) gets a page per heartbeat.
      if (wake->pending || !chunk.text.empty()) continue;
      wake->timer.expires_after(options.heartbeat);
      auto [tec] = co_await wake->timer.async_wait(kUseTuple);
      if (!tec && !wake->pending) {
        static const std::string ping = ": ping\n\n";
        auto [pec, pn] = co_await asio::async_write(stream.socket(), asio::buffer(ping), kUseTuple);
        if (pec) co_return;
      }
    }
  }

  asio::awaitable<void> ServeWebSocket(tcp_stream stream, const bhttp::request<bhttp::string_body>& req,
                                       std::shared_ptr<api::MessageChannel> channel) {
    namespace ws = beast::websocket;
    auto socket = std::make_shared<ws::stream<tcp_stream>>(std::move(stream));
    socket->set_option(ws::stream_base::timeout::suggested(beast::role_type::server));
    socket->read_message_max(1 << 20);
    auto [aec] = co_await socket->async_accept(req, kUseTuple);
    if (aec) co_return;
    struct Wake {
      explicit Wake(asio::any_io_executor ex) : timer(ex) {}
      asio::steady_timer timer;
      bool pending = true;
      bool closed = false;
    };
    auto executor = co_await asio::this_coro::executor;
    auto wake = std::make_shared<Wake>(executor);
    auto poke = [wake, executor] {
      asio::post(executor, [wake] {
        wake->pending = true;
        wake->timer.cancel();
      });
    };
    channel->SetWake(poke);
    // Reader: client messages go to the channel; a closed connection ends the writer.
    asio::co_spawn(
        executor,
        [socket, channel, wake, poke]() -> asio::awaitable<void> {
          for (;;) {
            beast::flat_buffer buffer;
            auto [ec, n] = co_await socket->async_read(buffer, kUseTuple);
            if (ec) {
              wake->closed = true;
              poke();
              co_return;
            }
            channel->OnMessage(beast::buffers_to_string(buffer.data()));
          }
        },
        asio::detached);
    for (;;) {
      wake->pending = false;
      auto batch = channel->Next();
      for (const auto& message : batch.messages) {
        socket->text(true);
        auto [wec, wn] = co_await socket->async_write(asio::buffer(message), kUseTuple);
        if (wec) co_return;
      }
      if (batch.done) {
        co_await socket->async_close(ws::close_code::normal, kUseTuple);
        co_return;
      }
      if (wake->closed) co_return;
      if (wake->pending) continue;
      wake->timer.expires_after(options.heartbeat);
      co_await wake->timer.async_wait(kUseTuple);
    }
  }

  asio::awaitable<void> Session(tcp::socket socket) {
    beast::error_code ignored;
    const auto endpoint = socket.remote_endpoint(ignored);
    const std::string remote = endpoint.address().to_string();
    tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(options.body_limit);
      parser.header_limit(64 * 1024);
      stream.expires_after(options.read_timeout);
      auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, kUseTuple);
      if (ec == bhttp::error::body_limit) {
        api::Response too_large = api::ErrorResponse(
            413, "too_large", "the request body exceeds " + std::to_string(options.body_limit) + " bytes");
        co_await WriteResponse(stream, too_large, 11, false, false);
        break;
      }
      // Any other error of the HTTP parser (bad Content-Length, chunks, fields...) is the
      // client's; end of stream, time-outs and socket errors are not answered.
      if (ec && ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
          ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message && ec != bhttp::error::need_more) {
        co_await WriteResponse(stream, api::ErrorResponse(400, "bad_request", "malformed HTTP request: " + ec.message()),
                               11, false, false);
        break;
      }
      if (ec) break;
      const auto started = std::chrono::steady_clock::now();
      auto& req = parser.get();
      bool ok = true;
      api::Request request = Convert(req, remote, ok);
      std::string route = "invalid";
      api::Response response = ok ? router.Dispatch(request, route)
                                  : api::ErrorResponse(400, "bad_request", "malformed request target");
      if (response.deferred) response = co_await AwaitDeferred(response);
      if (response.websocket && beast::websocket::is_upgrade(req)) {
        metrics.HttpRequest(route, 101, 0);
        co_await ServeWebSocket(std::move(stream), req, response.websocket);
        co_return;
      }
      if (response.events) {
        metrics.HttpRequest(route, 200, 0);
        co_await StreamEvents(stream, response.events);
        break;
      }
      const bool keep_alive = req.keep_alive();
      co_await WriteResponse(stream, response, req.version(), keep_alive, req.method() == bhttp::verb::head);
      metrics.HttpRequest(route, response.status,
                          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      if (!keep_alive) break;
    }
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  asio::awaitable<void> Listen() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(ioc), kUseTuple);
      if (ec) {
        if (!acceptor.is_open()) co_return;
        continue;  // e.g. EMFILE: keep serving the connections we have
      }
      auto executor = socket.get_executor();
      asio::co_spawn(executor, Session(std::move(socket)), asio::detached);
    }
  }
};

HttpServer::HttpServer(ServerOptions options, const api::Router& router, api::Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics)) {}
HttpServer::~HttpServer() = default;

Status HttpServer::Bind() {
  const auto& listen = impl_->options.listen;
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return Fail(ErrorKind::kInvalid, "--listen must be HOST:PORT, not " + listen);
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port_text = listen.substr(colon + 1);
  char* end = nullptr;
  const long port = std::strtol(port_text.c_str(), &end, 10);
  if (*end || port < 0 || port > 65535) return Fail(ErrorKind::kInvalid, "invalid port in --listen " + listen);
  beast::error_code ec;
  const auto address = asio::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
  if (ec) return Fail(ErrorKind::kInvalid, "invalid address in --listen " + listen + ": " + ec.message());
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Fail("listen on " + listen + ": " + ec.message());
  return {};
}

unsigned short HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void HttpServer::Run(const std::function<void()>& on_shutdown) {
  auto& ioc = impl_->ioc;
  // The io_context runs until the shutdown thread stops it (never on its own, which
  // would free it under that thread's feet).
  auto work = asio::make_work_guard(ioc);
  std::mutex shutdown_mu;
  std::thread shutdown;
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const beast::error_code& ec, int) {
    if (ec) return;
    asio::post(impl_->accept_strand, [this] {
      beast::error_code ignored;
      impl_->acceptor.close(ignored);
    });
    // Let runs end (or be cancelled) while requests waiting on them still get answers.
    std::lock_guard lock(shutdown_mu);
    shutdown = std::thread([&] {
      if (on_shutdown) on_shutdown();
      work.reset();
      ioc.stop();
    });
  });
  asio::co_spawn(impl_->accept_strand, impl_->Listen(), asio::detached);
  std::vector<std::thread> threads;
  for (int i = 1; i < std::max(1, impl_->options.threads); ++i) threads.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  std::lock_guard lock(shutdown_mu);
  if (shutdown.joinable()) shutdown.join();
}

}  // namespace runlet::http
