// Small helpers the API's handlers share: JSON responses and request parsing.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>

#include "api/types.h"
#include "core/error.h"
#include "core/json.h"

namespace runlet::api {
namespace json = boost::json;

inline Response Ok(const json::value& v, int status = 200) { return Json(status, JsonText(v)); }

inline Response Invalid(const std::string& message) { return ErrorResponse(400, "invalid_request", message); }
inline Response Unprocessable(const std::string& code, const std::string& message) {
  return ErrorResponse(422, code, message);
}

// A request body's JSON object, parsed within `limits` (ParseJson: 400 malformed, 413 too
// many values).
inline Result<json::object> ParseObject(const std::string& body, const JsonLimits& limits = {}) {
  auto v = ParseJson(body, limits);
  if (!v) return tl::unexpected(v.error());
  if (!v->is_object()) return Fail(ErrorKind::kInvalid, "expected a JSON object");
  return std::move(v->as_object());
}

inline std::optional<std::string> OptString(const json::object& o, const char* key, std::string& error) {
  auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string()) {
    error = std::string(key) + " must be a string";
    return std::nullopt;
  }
  return std::string(v->as_string());
}

// An environment variable's name: [A-Za-z_][A-Za-z0-9_]*, at most 128 characters.
inline bool ValidEnvName(const std::string& name) {
  if (name.empty() || name.size() > 128 || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

}  // namespace runlet::api
