// Routes "METHOD /pattern/{param}/..." to handlers. A final "{path...}" parameter takes
// the rest of the path, slashes included.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/types.h"

namespace runlet::api {

using Handler = std::function<Response(Request&)>;

class Router {
 public:
  void Add(const std::string& method, const std::string& pattern, Handler handler);
  // Runs before every handler; a response it returns is sent instead (rate limits, auth).
  void SetGuard(std::function<std::optional<Response>(Request&)> guard) { guard_ = std::move(guard); }
  // Answers what no route matches (the web UI's files); it may decline with nullopt,
  // and then the request gets the usual 404 or 405.
  void SetFallback(std::function<std::optional<Response>(Request&)> fallback) { fallback_ = std::move(fallback); }
  // The handler's response; 404 or 405 when nothing matches. `route` receives the
  // pattern that matched (for metrics), or "unmatched".
  Response Dispatch(Request& request, std::string& route) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> parts;
    Handler handler;
  };
  std::vector<Route> routes_;
  std::function<std::optional<Response>(Request&)> guard_;
  std::function<std::optional<Response>(Request&)> fallback_;
};

}  // namespace runlet::api
