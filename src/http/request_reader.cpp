#include "http/request_reader.h"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace runlet::http {
namespace bhttp = boost::beast::http;

void LimitRequestParser(RequestParser& parser, size_t header_limit, size_t body_limit) {
  parser.body_limit(body_limit);
  parser.header_limit(static_cast<std::uint32_t>(header_limit));
}

namespace {

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

}  // namespace

api::Request ConvertRequest(const bhttp::request<bhttp::string_body>& req, const std::string& remote, bool& ok) {
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

}  // namespace runlet::http
