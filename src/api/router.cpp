#include "api/router.h"

#include <set>

#include <boost/json.hpp>

#include "core/json.h"
#include "core/log.h"

namespace runlet::api {
namespace {

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

}  // namespace

Response Json(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

int StatusForKind(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalid: return 400;
    case ErrorKind::kNotFound: return 404;
    case ErrorKind::kConflict: return 409;
    case ErrorKind::kTooLarge: return 413;
    case ErrorKind::kTooMany: return 429;
    case ErrorKind::kUnavailable: return 503;
    case ErrorKind::kUnauthorized: return 401;
    case ErrorKind::kForbidden: return 403;
    case ErrorKind::kInternal: break;
  }
  return 500;
}

Response ErrorResponse(int status, const std::string& code, const std::string& message) {
  Response r = Json(status, JsonText(boost::json::object{{"error", code}, {"message", message}}));
  if (status == 429 || status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

Response ErrorResponse(const Error& error) {
  static const char* codes[] = {"internal_error", "invalid_request", "not_found", "conflict", "too_large",
                                "too_many_requests", "unavailable", "unauthorized", "forbidden"};
  const int status = StatusForKind(error.kind);
  // Internal details stay in the server's log; the client gets a generic text.
  const std::string message = error.kind == ErrorKind::kInternal ? "internal error" : error.message;
  return ErrorResponse(status, codes[static_cast<int>(error.kind)], message);
}

void Router::Add(const std::string& method, const std::string& pattern, Handler handler, size_t body_limit) {
  routes_.push_back({method, pattern, SplitPath(pattern), std::move(handler), body_limit});
}

Response BodyTooLarge(size_t limit) {
  return ErrorResponse(413, "too_large", "the request body exceeds " + std::to_string(limit) + " bytes");
}

Router::Admission Router::Admit(Request& request) const {
  Admission admission;
  const auto parts = SplitPath(request.path);
  bool path_matched = false;
  std::set<std::string> allowed;  // methods of the routes whose pattern matches
  for (const auto& r : routes_) {
    std::map<std::string, std::string> params;
    bool match = true;
    size_t i = 0;
    for (; i < r.parts.size(); ++i) {
      const std::string& want = r.parts[i];
      if (want.size() > 5 && want.front() == '{' && want.substr(want.size() - 4) == "...}") {
        if (i >= parts.size()) {
          match = false;
          break;
        }
        std::string rest;
        for (size_t k = i; k < parts.size(); ++k) rest += (k == i ? "" : "/") + parts[k];
        params[want.substr(1, want.size() - 5)] = rest;
        i = parts.size();
        break;
      }
      if (i >= parts.size()) {
        match = false;
        break;
      }
      if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
        if (parts[i].empty()) {
          match = false;
          break;
        }
        params[want.substr(1, want.size() - 2)] = parts[i];
      } else if (want != parts[i]) {
        match = false;
        break;
      }
    }
    if (!match || i != parts.size()) continue;
    path_matched = true;
    allowed.insert(r.method);
    if (r.method == "GET") allowed.insert("HEAD");
    if (r.method != request.method && !(r.method == "GET" && request.method == "HEAD")) continue;
    admission.route = r.pattern;
    request.params = std::move(params);
    if (guard_) {
      if (auto refused = guard_(request)) {
        admission.answer = std::move(*refused);
        return admission;
      }
    }
    admission.body_limit = r.body_limit;
    admission.handler = &r;
    return admission;
  }
  admission.route = "unmatched";
  if (!path_matched && fallback_) {
    if (auto answer = fallback_(request)) {
      admission.route = "web";
      admission.answer = std::move(*answer);
      return admission;
    }
  }
  if (path_matched) {
    Response r = ErrorResponse(405, "method_not_allowed", request.method + " is not allowed on " + request.path);
    std::string allow;
    for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
    r.headers.emplace_back("Allow", allow);
    admission.answer = std::move(r);
    return admission;
  }
  admission.answer = ErrorResponse(404, "not_found", "no such endpoint: " + request.path);
  return admission;
}

Response Router::Handle(const Admission& admission, Request& request) const {
  if (admission.answer) return *admission.answer;
  const auto* route = static_cast<const Route*>(admission.handler);
  return CallHandler(route->handler, request, route->pattern);
}

Response CallHandler(const Handler& handler, Request& request, const std::string& what) {
  try {
    return handler(request);
  } catch (const std::exception& e) {
    Log("error", "a handler failed", {{"route", what}, {"error", e.what()}});
  } catch (...) {
    Log("error", "a handler failed", {{"route", what}, {"error", "an unknown exception"}});
  }
  return ErrorResponse(500, "internal_error", "internal error");
}

Response Router::Dispatch(Request& request, std::string& route) const {
  Admission admission = Admit(request);
  route = admission.route;
  if (admission.answer) return std::move(*admission.answer);
  if (request.body.size() > admission.body_limit) return BodyTooLarge(admission.body_limit);
  return Handle(admission, request);
}

}  // namespace runlet::api
