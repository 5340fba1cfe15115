// The HTTP server (Boost.Beast with C++20 coroutines): keep-alive, body and header limits
// before reading untrusted bytes, read timeouts, server-sent events, graceful shutdown.
//
// A request's head is read first (within `header_limit` bytes and `header_timeout`); the
// router admits it (route, authentication, rate limits) and names the route's body limit
// before a byte of the body is read. An answer given before the body was read (401, 413,
// 404...) closes the connection lingering: the server stops sending, reads and drops what
// the client still sends (within `linger_bytes` and `linger_timeout`), then closes, so a
// client that writes its whole body before reading still gets the answer. Connections
// are capped in total and per address; an exception never leaves a connection's
// coroutine (it is logged and the connection closed).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "api/metrics.h"
#include "api/router.h"
#include "core/error.h"

namespace runlet::http {

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free one
  int threads = 2;
  size_t body_limit = 16 << 20;  // the largest body of any route (413 beyond)
  size_t header_limit = 32 << 10;  // request line and fields, and the trailer (400 beyond)
  std::chrono::seconds header_timeout{15};  // a request's head, and idle keep-alive time
  std::chrono::seconds read_timeout{30};    // a request's body, once its head is in
  std::chrono::seconds heartbeat{15};       // SSE comment lines keep proxies from closing
  // Open connections at once: in total (0: three quarters of the open-file limit, at
  // most 10,000) and from one address. Beyond, a new connection is closed at once.
  size_t max_connections = 0;
  size_t max_connections_per_address = 256;
  // After an early answer: what is read and dropped before closing.
  size_t linger_bytes = 64 << 20;
  std::chrono::seconds linger_timeout{10};
};

class HttpServer {
 public:
  HttpServer(ServerOptions options, const api::Router& router, api::Metrics& metrics);
  ~HttpServer();
  // Binds the listening socket. Errors name the address.
  Status Bind();
  // The bound port (after Bind).
  unsigned short port() const;
  // The cap on open connections in effect (max_connections, or the default it stands for).
  size_t max_connections() const;
  // Serves until SIGTERM or SIGINT, then stops accepting, calls `on_shutdown` (which may
  // block while runs end) and returns once every thread has stopped.
  void Run(const std::function<void()>& on_shutdown);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace runlet::http
