// The HTTP server (Boost.Beast with C++20 coroutines): keep-alive, body and header limits
// before reading untrusted bytes, read timeouts, server-sent events, graceful shutdown.
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
  size_t body_limit = 16 << 20;  // 413 beyond
  std::chrono::seconds read_timeout{30};
  std::chrono::seconds heartbeat{15};  // SSE comment lines keep proxies from closing
};

class HttpServer {
 public:
  HttpServer(ServerOptions options, const api::Router& router, api::Metrics& metrics);
  ~HttpServer();
  // Binds the listening socket. Errors name the address.
  Status Bind();
  // The bound port (after Bind).
  unsigned short port() const;
  // Serves until SIGTERM or SIGINT, then stops accepting, calls `on_shutdown` (which may
  // block while runs end) and returns once every thread has stopped.
  void Run(const std::function<void()>& on_shutdown);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace runlet::http
