// Routes "METHOD /pattern/{param}/..." to handlers. A final "{path...}" parameter takes
// the rest of the path, slashes included.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "api/types.h"

namespace runlet::api {

using Handler = std::function<Response(Request&)>;

class Router {
 public:
  void Add(const std::string& method, const std::string& pattern, Handler handler);
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
};

}  // namespace runlet::api
