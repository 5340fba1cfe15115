#include "http/server.h"

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast.hpp>
#include <sys/resource.h>

#include <mutex>
#include <thread>
#include <unordered_map>

#include "core/log.h"

#include "http/request_reader.h"

namespace runlet::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::ip::tcp;
using tcp_stream = beast::tcp_stream;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// Logs an exception that ended a coroutine (a completion handler for co_spawn): none
// may reach io_context::run(), where it would end the thread and the process.
auto LogFailure(std::string what) {
  return [what = std::move(what)](std::exception_ptr failure) {
    if (!failure) return;
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      Log("error", what + " failed", {{"error", e.what()}});
    } catch (...) {
      Log("error", what + " failed", {{"error", "an unknown exception"}});
    }
  };
}

// An error of accept(2) that more tries cannot fix until descriptors or memory free up.
bool OutOfResources(const beast::error_code& ec) {
  if (ec.category() != boost::system::system_category()) return false;
  const int e = ec.value();
  return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
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

  // Open connections, in total and per remote address.
  std::mutex connections_mu;
  size_t connections = 0;
  std::unordered_map<std::string, size_t> connections_by_address;
  size_t connection_cap = 0;  // options.max_connections, or its default

  // Holds one connection's place in the counts while it is open.
  class Ticket {
   public:
    Ticket(Impl& impl, std::string address) : impl_(impl), address_(std::move(address)) {}
    ~Ticket() { impl_.ReleaseConnection(address_); }
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    const std::string& address() const { return address_; }

   private:
    Impl& impl_;
    std::string address_;
  };

  Impl(ServerOptions o, const api::Router& r, api::Metrics& m) : options(std::move(o)), router(r), metrics(m) {
    connection_cap = options.max_connections;
    if (connection_cap == 0) {
      rlimit files{};
      const rlim_t open_files = ::getrlimit(RLIMIT_NOFILE, &files) == 0 ? files.rlim_cur : 1024;
      connection_cap = static_cast<size_t>(std::clamp<rlim_t>(open_files / 4 * 3, 16, 10000));
    }
  }

  // A place for a connection from `address`; null when a cap is reached (`why` says which).
  std::unique_ptr<Ticket> AdmitConnection(const std::string& address, const char*& why) {
    std::lock_guard lock(connections_mu);
    if (connections >= connection_cap) {
      why = "total";
      return nullptr;
    }
    size_t& mine = connections_by_address[address];
    if (mine >= options.max_connections_per_address) {
      why = "address";
      return nullptr;
    }
    ++mine;
    ++connections;
    metrics.SetHttpConnections(static_cast<double>(connections));
    return std::make_unique<Ticket>(*this, address);
  }

  void ReleaseConnection(const std::string& address) {
    std::lock_guard lock(connections_mu);
    auto it = connections_by_address.find(address);
    if (it != connections_by_address.end() && --it->second == 0) connections_by_address.erase(it);
    --connections;
    metrics.SetHttpConnections(static_cast<double>(connections));
  }

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
    socket->read_message_max(kWebSocketMessageLimit);
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
            if (socket->got_text()) {
              channel->OnMessage(beast::buffers_to_string(buffer.data()));
            } else {
              channel->OnBinary(beast::buffers_to_string(buffer.data()));
            }
          }
        },
        LogFailure("a WebSocket reader"));
    for (;;) {
      wake->pending = false;
      auto batch = channel->Next();
      for (const auto& message : batch.messages) {
        socket->text(!message.binary);
        auto [wec, wn] = co_await socket->async_write(asio::buffer(message.data), kUseTuple);
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

  // After an answer given before the request's body was read: stop sending, read and
  // drop what the client still sends (bounded in bytes and time), then close. Closing at
  // once, with unread bytes, would reset the connection, and a client still writing its
  // body would lose the answer.
  asio::awaitable<void> LingeringClose(tcp_stream& stream) {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.expires_after(options.linger_timeout);
    std::vector<char> scratch(16 << 10);
    size_t drained = 0;
    while (drained < options.linger_bytes) {
      auto [ec, n] = co_await stream.async_read_some(asio::buffer(scratch), kUseTuple);
      if (ec) break;
      drained += n;
    }
    stream.socket().close(ignored);
  }

  asio::awaitable<void> Session(tcp::socket socket, std::unique_ptr<Ticket> ticket) {
    const std::string remote = ticket->address();
    tcp_stream stream(std::move(socket));
    bool handed_off = false;  // the stream went to a WebSocket (moved from)
    try {
      co_await Serve(stream, remote, handed_off);
    } catch (const std::exception& e) {
      // (A bug, or a library's exception on hostile input: this connection ends, the
      // server goes on.)
      Log("error", "a connection failed", {{"remote", remote}, {"error", e.what()}});
    }
    if (handed_off) co_return;
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.socket().close(ignored);
  }

  asio::awaitable<void> Serve(tcp_stream& stream, const std::string& remote, bool& handed_off) {
    beast::flat_buffer buffer(RequestBufferLimit(options.header_limit));
    for (;;) {
      RequestParser parser;
      // A larger Content-Length than the body limit fails the head at once.
      LimitRequestParser(parser, options.header_limit, options.body_limit);
      stream.expires_after(options.header_timeout);
      auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, kUseTuple);
      const auto started = std::chrono::steady_clock::now();
      std::optional<api::Response> early;  // an answer given before the body was read
      if (ec == bhttp::error::body_limit) {
        early = api::BodyTooLarge(options.body_limit);
      } else if (IsClientsHttpError(ec)) {
        early = api::ErrorResponse(400, "bad_request", "malformed HTTP request: " + ec.message());
      } else if (ec) {
        co_return;  // end of stream, time-out, socket error: nobody to answer
      }
      std::string route = "invalid";
      api::Request request;
      api::Router::Admission admission;
      if (!early) {
        bool ok = true;
        request = ConvertRequest(parser.get(), remote, ok);
        if (!ok) {
          early = api::ErrorResponse(400, "bad_request", "malformed request target");
        } else {
          admission = router.Admit(request);
          route = admission.route;
          if (admission.answer) early = std::move(admission.answer);
        }
      }
      if (!early && !parser.is_done()) {
        // The body, within the route's limit.
        const size_t limit = std::min(admission.body_limit, options.body_limit);
        if (parser.content_length() && *parser.content_length() > limit) {
          early = api::BodyTooLarge(limit);
        } else {
          parser.body_limit(limit);
          if (parser.get().version() == 11 && beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
            static const std::string go_on = "HTTP/1.1 100 Continue\r\n\r\n";
            stream.expires_after(options.read_timeout);
            auto [cec, cn] = co_await asio::async_write(stream, asio::buffer(go_on), kUseTuple);
            if (cec) co_return;
          }
          stream.expires_after(options.read_timeout);
          auto [bec, bn] = co_await bhttp::async_read(stream, buffer, parser, kUseTuple);
          if (bec == bhttp::error::body_limit) {
            early = api::BodyTooLarge(limit);
          } else if (IsClientsHttpError(bec)) {
            early = api::ErrorResponse(400, "bad_request", "malformed HTTP request: " + bec.message());
          } else if (bec) {
            co_return;
          } else {
            request.body = std::move(parser.get().body());
          }
        }
      }
      // An early answer with the body unread (or the stream out of step) ends the
      // connection; one for a request without a body does not.
      const bool body_unread = !parser.is_done();
      api::Response response = early ? std::move(*early) : router.Handle(admission, request);
      if (response.deferred) response = co_await AwaitDeferred(response);
      const auto& req = parser.get();
      if (!body_unread && response.websocket && beast::websocket::is_upgrade(req)) {
        metrics.HttpRequest(route, 101, 0);
        handed_off = true;
        co_await ServeWebSocket(std::move(stream), req, response.websocket);
        co_return;
      }
      if (!body_unread && response.events) {
        metrics.HttpRequest(route, 200, 0);
        co_await StreamEvents(stream, response.events);
        co_return;
      }
      const bool keep_alive = !body_unread && req.keep_alive();
      const bool head = parser.is_header_done() && req.method() == bhttp::verb::head;
      co_await WriteResponse(stream, response, parser.is_header_done() ? req.version() : 11, keep_alive, head);
      metrics.HttpRequest(route, response.status,
                          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      if (body_unread) {
        co_await LingeringClose(stream);
        co_return;
      }
      if (!keep_alive) co_return;
    }
  }

  // Errors of the HTTP parser (bad Content-Length, chunks, fields, a head or trailer
  // over the limit...) are the client's and get a 400; end of stream, time-outs and
  // socket errors are not answered.
  static bool IsClientsHttpError(const beast::error_code& ec) {
    return ec && ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
           ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message && ec != bhttp::error::need_more;
  }

  asio::awaitable<void> Listen() {
    asio::steady_timer backoff(accept_strand);
    auto last_report = std::chrono::steady_clock::now() - std::chrono::hours(1);
    size_t refused = 0;
    // At most one log line every 10 s about refused connections or exhausted descriptors.
    auto report = [&](const char* msg, boost::json::object fields) {
      ++refused;
      const auto now = std::chrono::steady_clock::now();
      if (now - last_report < std::chrono::seconds(10)) return;
      fields["since_last_report"] = refused;
      Log("warning", msg, std::move(fields));
      last_report = now;
      refused = 0;
    };
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(ioc), kUseTuple);
      if (ec) {
        if (!acceptor.is_open()) co_return;
        if (OutOfResources(ec)) {
          // EMFILE and its kin: retrying at once would spin; wait for connections to end.
          report("accept failed: out of descriptors or memory; pausing accepts", {{"error", ec.message()}});
          backoff.expires_after(std::chrono::milliseconds(100));
          co_await backoff.async_wait(kUseTuple);
        }
        continue;  // keep serving the connections we have
      }
      beast::error_code endpoint_ec;
      const auto endpoint = socket.remote_endpoint(endpoint_ec);
      if (endpoint_ec) continue;  // (already gone)
      auto address = endpoint.address();
      if (address.is_v6() && address.to_v6().is_v4_mapped())
        address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
      const char* why = "";
      auto ticket = AdmitConnection(address.to_string(), why);
      if (!ticket) {
        metrics.HttpConnectionRefused(why);
        report("connection refused: too many open connections",
               {{"remote", address.to_string()}, {"cap", why}});
        beast::error_code ignored;
        socket.close(ignored);
        continue;
      }
      auto executor = socket.get_executor();
      asio::co_spawn(executor, Session(std::move(socket), std::move(ticket)), LogFailure("a connection"));
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

size_t HttpServer::max_connections() const { return impl_->connection_cap; }

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
  asio::co_spawn(impl_->accept_strand, impl_->Listen(), LogFailure("the accept loop"));
  std::vector<std::thread> threads;
  for (int i = 1; i < std::max(1, impl_->options.threads); ++i) threads.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  std::lock_guard lock(shutdown_mu);
  if (shutdown.joinable()) shutdown.join();
}

}  // namespace runlet::http
