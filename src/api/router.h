// Routes "METHOD /pattern/{param}/..." to handlers. A final "{path...}" parameter takes
// the rest of the path, slashes included.
//
// A request is handled in two steps, so that nobody's body is read before the server
// knows who sends it and where it goes: Admit() sees the request's head only (method,
// path, query, headers, address), matches the route and runs the guard (authentication,
// rate limits); it either answers at once or says how large a body the route takes.
// Handle() then runs the handler on the request with its body. Dispatch() does both.
#pragma once

#include <cstddef>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "api/types.h"

namespace runlet::api {

using Handler = std::function<Response(Request&)>;

// Body limits of routes. Small JSON bodies (most routes) take kSmallBody; sign-up and
// login kTinyBody (passwords have at most 1024 bytes); execute and file uploads the server's maximum (http::ServerOptions).
inline constexpr size_t kTinyBody = 8 << 10;
inline constexpr size_t kSmallBody = 64 << 10;
inline constexpr size_t kServerMaximum = std::numeric_limits<size_t>::max();

class Router {
 public:
  // `body_limit`: the most body bytes the route reads (413 beyond, before the handler).
  void Add(const std::string& method, const std::string& pattern, Handler handler, size_t body_limit = kSmallBody);
  // Runs before every handler, on the request's head; a response it returns is sent
  // instead (rate limits, auth).
  void SetGuard(std::function<std::optional<Response>(Request&)> guard) { guard_ = std::move(guard); }
  // Answers what no route matches (the web UI's files); it may decline with nullopt,
  // and then the request gets the usual 404 or 405.
  void SetFallback(std::function<std::optional<Response>(Request&)> fallback) { fallback_ = std::move(fallback); }

  struct Admission {
    std::optional<Response> answer;  // the request is answered without its body
    size_t body_limit = 0;           // otherwise: the most body bytes to read
    std::string route;               // the pattern that matched (for metrics), "unmatched" or "web"
    const void* handler = nullptr;   // for Handle
  };
  // Step one, on the request's head (its body is not read yet): `request.params` and, for
  // authenticated requests, `request.principal` are filled in.
  Admission Admit(Request& request) const;
  // Step two: the handler's response for an admitted request, now with its body. A
  // handler that throws gets 500 (the exception's text goes to the log, not the client).
  Response Handle(const Admission& admission, Request& request) const;
  // Both steps; a body over the route's limit is refused with 413. `route` receives the
  // pattern that matched, or "unmatched".
  Response Dispatch(Request& request, std::string& route) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> parts;
    Handler handler;
    size_t body_limit;
  };
  std::vector<Route> routes_;
  std::function<std::optional<Response>(Request&)> guard_;
  std::function<std::optional<Response>(Request&)> fallback_;
};

// `handler`'s response; 500 when it throws (the exception's text goes to the log under
// `what`, never to the client).
Response CallHandler(const Handler& handler, Request& request, const std::string& what);

// 413 "too_large" for a body over `limit` bytes.
Response BodyTooLarge(size_t limit);

}  // namespace runlet::api
