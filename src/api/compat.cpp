#include "api/compat.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <cstring>

#include "auth/secrets.h"
#include "core/log.h"

namespace runlet::api::compat {
namespace {

bool HasDialect(const std::vector<std::string>& list, Dialect d) {
  const char* name = d == Dialect::kPiston ? "piston" : "judge0";
  return std::find(list.begin(), list.end(), name) != list.end();
}

// An error in the dialect's own shape: Piston {"message"}, Judge0 {"error"}.
Response DialectError(Dialect d, int status, const std::string& message) {
  Response r = Json(status, JsonText(d == Dialect::kPiston ? json::object{{"message", message}}
                                                           : json::object{{"error", message}}));
  if (status == 429 || status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

// A "MAJOR.MINOR.PATCH" version as numbers; nullopt for anything else.
std::optional<std::array<long, 3>> ParseVersion(std::string_view v) {
  std::array<long, 3> out{};
  for (int i = 0; i < 3; ++i) {
    if (v.empty() || !std::isdigit(static_cast<unsigned char>(v[0]))) return std::nullopt;
    long n = 0;
    size_t k = 0;
    while (k < v.size() && std::isdigit(static_cast<unsigned char>(v[k])) && k < 9) n = n * 10 + (v[k++] - '0');
    out[i] = n;
    v.remove_prefix(k);
    if (i < 2) {
      if (v.empty() || v[0] != '.') return std::nullopt;
      v.remove_prefix(1);
    }
  }
  if (!v.empty()) return std::nullopt;
  return out;
}

int Compare(const std::array<long, 3>& a, const std::array<long, 3>& b) {
  for (int i = 0; i < 3; ++i) {
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

// One comparator of a range ("^3.9", ">=1.2", "3.x", "*"), against `v`; nullopt when it
// cannot be read.
std::optional<bool> Satisfies(const std::array<long, 3>& v, std::string_view c) {
  std::string op;
  while (!c.empty() && (c[0] == '<' || c[0] == '>' || c[0] == '=' || c[0] == '^' || c[0] == '~')) {
    op += c[0];
    c.remove_prefix(1);
  }
  if (!c.empty() && (c[0] == 'v' || c[0] == 'V')) c.remove_prefix(1);
  // The version's parts; a wildcard or a missing part ends the exact ones ("3.x.5" reads as 3.x).
  std::array<long, 3> p{};
  int exact = 0, parts = 0;
  bool wild = false;
  while (!c.empty()) {
    if (parts == 3) return std::nullopt;
    if (c[0] == '*' || c[0] == 'x' || c[0] == 'X') {
      c.remove_prefix(1);
      wild = true;
    } else if (std::isdigit(static_cast<unsigned char>(c[0]))) {
      long n = 0;
      size_t k = 0;
      while (k < c.size() && std::isdigit(static_cast<unsigned char>(c[k])) && k < 9) n = n * 10 + (c[k++] - '0');
      if (k < c.size() && std::isdigit(static_cast<unsigned char>(c[k]))) return std::nullopt;
      c.remove_prefix(k);
      if (!wild) p[exact++] = n;
    } else {
      return std::nullopt;
    }
    ++parts;
    if (!c.empty()) {
      if (c[0] != '.') return std::nullopt;
      c.remove_prefix(1);
      if (c.empty()) return std::nullopt;
    }
  }
  auto lower = p;
  for (int i = exact; i < 3; ++i) lower[i] = 0;
  auto upper_of = [&](int keep) {  // the first version above every "keep"-part match
    std::array<long, 3> u{};
    for (int i = 0; i < keep; ++i) u[i] = lower[i];
    if (keep == 0) return std::array<long, 3>{LONG_MAX, 0, 0};
    u[keep - 1] += 1;
    return u;
  };
  if (op.empty() || op == "=") {
    if (exact == 3) return Compare(v, lower) == 0;
    return Compare(v, lower) >= 0 && Compare(v, upper_of(exact)) < 0;
  }
  if (op == "^") {
    // Changes that do not modify the left-most non-zero part.
    int keep = 1;
    if (lower[0] == 0 && exact >= 2) keep = lower[1] == 0 && exact == 3 ? 3 : 2;
    if (exact == 0) return true;
    return Compare(v, lower) >= 0 && Compare(v, upper_of(std::min(keep, exact))) < 0;
  }
  if (op == "~") {
    if (exact == 0) return true;
    return Compare(v, lower) >= 0 && Compare(v, upper_of(exact == 1 ? 1 : 2)) < 0;
  }
  if (exact == 0) return op == ">=" || op == "<=";  // ">=*" is any version; "<*" and ">*" none
  if (op == ">=") return Compare(v, lower) >= 0;
  if (op == "<") return Compare(v, lower) < 0;
  if (op == ">") return exact == 3 ? Compare(v, lower) > 0 : Compare(v, upper_of(exact)) >= 0;
  if (op == "<=") return exact == 3 ? Compare(v, lower) <= 0 : Compare(v, upper_of(exact)) < 0;
  return std::nullopt;
}

}  // namespace

Dialect DialectOf(const std::string& path) {
  auto under = [&](std::string_view prefix) {
    return path.rfind(prefix, 0) == 0 && (path.size() == prefix.size() || path[prefix.size()] == '/');
  };
  if (under("/piston")) return Dialect::kPiston;
  if (under("/judge0")) return Dialect::kJudge0;
  return Dialect::kNone;
}

bool Enabled(ApiState& s, Dialect d) {
  if (d == Dialect::kNone) return false;
  return HasDialect(s.deps.compat, d) || HasDialect(s.Settings().compat, d);
}

bool AnonymousEnabled(ApiState& s) { return s.deps.compat_anonymous || s.Settings().compat_anonymous; }

// The built-in account of visitors' runs (ApiState::AnonymousPrincipal), shared with
// the web UI's anonymous runs.
Result<Principal> AnonymousPrincipal(ApiState& s) { return s.AnonymousPrincipal(); }

std::optional<Response> Authenticate(ApiState& s, Request& req) {
  const Dialect d = DialectOf(req.path);
  if (!Enabled(s, d)) return ErrorResponse(404, "not_found", "no such endpoint: " + req.path);
  // A token only: Authorization: Bearer, or Judge0's X-Auth-Token. Cookies are not read.
  std::string secret;
  const std::string authorization = req.Header("authorization");
  std::optional<Response> refused;
  if (!authorization.empty()) {
    if (authorization.rfind("Bearer ", 0) != 0 || authorization.size() <= 7)
      refused = DialectError(d, 401, "Authorization must be \"Bearer <token>\"");
    else
      secret = authorization.substr(7);
  } else if (d == Dialect::kJudge0) {
    secret = req.Header("x-auth-token");
  }
  if (!secret.empty()) {
    auto credential = s.deps.store.FindCredential(auth::Sha256Hex(secret));
    if (!credential) return DialectError(d, 500, "internal error");
    const bool valid = *credential && ((**credential).expires_at.empty() || (**credential).expires_at > store::NowRfc3339());
    if (!valid) {
      refused = DialectError(d, 401, "the token is unknown, revoked or expired");
    } else {
      auto user = s.deps.store.GetUser((**credential).user_id);
      if (!user) return DialectError(d, 500, "internal error");
      if (!*user || (**user).disabled) return DialectError(d, 403, "this account is disabled");
      Principal p;
      p.user_id = (**user).id;
      p.username = (**user).username;
      p.role = (**user).role;
      p.credential_id = (**credential).id;
      p.kind = "token";
      p.quota = (**user).quota;
      req.principal = std::move(p);
    }
  }
  std::chrono::seconds retry{1};
  const std::string who = req.principal ? "user:" + std::to_string(req.principal->user_id) : "address:" + req.client_address;
  if (!s.limiter.Allow(who, retry)) {
    Response r = DialectError(d, 429, "too many requests; slow down");
    r.headers = {{"Retry-After", std::to_string(std::max<long>(1, retry.count()))}};
    return r;
  }
  if (refused) return refused;
  if (req.principal) return std::nullopt;
  if (!AnonymousEnabled(s)) {
    return DialectError(d, 401,
                        d == Dialect::kJudge0 ? "authenticate with X-Auth-Token: <a Runlet API token>"
                                              : "authenticate with Authorization: Bearer <a Runlet API token>");
  }
  auto anonymous = AnonymousPrincipal(s);
  if (!anonymous) {
    Log("error", "anonymous compatible API use refused", {{"error", anonymous.error().message}});
    return DialectError(d, StatusForKind(anonymous.error().kind), anonymous.error().message);
  }
  req.principal = std::move(*anonymous);
  return std::nullopt;
}

void Register(Router& router, const std::shared_ptr<ApiState>& state) {
  RegisterPiston(router, state);
  RegisterJudge0(router, state);
  if (AnonymousEnabled(*state)) {
    // Made at start, so that nobody can take the name first.
    if (auto p = AnonymousPrincipal(*state); !p) Log("error", "the anonymous account", {{"error", p.error().message}});
  }
}

std::string SemverOf(ApiState& s, const runtime::Runtime& rt) {
  std::string text = rt.version;
  {
    std::lock_guard lock(s.catalog_mu);
    auto it = s.deps.versions.find(rt.id);
    if (it != s.deps.versions.end() && !it->second.empty()) text = it->second;
  }
  // The first run of digits and dots: "go1.19.8" -> 1.19.8, "17.0.9+9" -> 17.0.9.
  size_t start = 0;
  while (start < text.size() && !std::isdigit(static_cast<unsigned char>(text[start]))) ++start;
  std::array<long, 3> parts{};
  int n = 0;
  size_t i = start;
  while (n < 3 && i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    long value = 0;
    size_t digits = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) && digits < 9) {
      value = value * 10 + (text[i++] - '0');
      ++digits;
    }
    parts[n++] = value;
    if (i + 1 < text.size() && text[i] == '.' && std::isdigit(static_cast<unsigned char>(text[i + 1]))) ++i;
    else break;
  }
  return std::to_string(parts[0]) + "." + std::to_string(parts[1]) + "." + std::to_string(parts[2]);
}

bool SemverSatisfies(std::string_view version, std::string_view range) {
  auto v = ParseVersion(version);
  if (!v) return false;
  // Alternatives "a || b"; each a list of comparators that must all hold.
  while (true) {
    const size_t bar = range.find("||");
    std::string_view alternative = range.substr(0, bar);
    bool all = true;
    bool any_comparator = false;
    size_t pos = 0;
    while (pos < alternative.size()) {
      while (pos < alternative.size() && alternative[pos] == ' ') ++pos;
      size_t end = alternative.find(' ', pos);
      if (end == std::string_view::npos) end = alternative.size();
      std::string_view c = alternative.substr(pos, end - pos);
      pos = end;
      if (c.empty()) continue;
      // ">= 3.9": an operator apart from its version.
      if (std::all_of(c.begin(), c.end(), [](char ch) { return ch == '<' || ch == '>' || ch == '=' || ch == '^' || ch == '~'; })) {
        while (pos < alternative.size() && alternative[pos] == ' ') ++pos;
        size_t e2 = alternative.find(' ', pos);
        if (e2 == std::string_view::npos) e2 = alternative.size();
        std::string joined = std::string(c) + std::string(alternative.substr(pos, e2 - pos));
        pos = e2;
        auto ok = Satisfies(*v, joined);
        if (!ok) return false;
        all = all && *ok;
      } else {
        auto ok = Satisfies(*v, c);
        if (!ok) return false;
        all = all && *ok;
      }
      any_comparator = true;
    }
    if (!any_comparator) all = true;  // "" means any version, as "*"
    if (all) return true;
    if (bar == std::string_view::npos) return false;
    range.remove_prefix(bar + 2);
  }
}

std::optional<std::string> DecodeBase64(std::string_view text) {
  // Line breaks (and stray spaces) of MIME-style base64 are skipped; padding is optional.
  std::string out(text.size() / 4 * 3 + 3, '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), " \r\n\t",
                        &len, &end, sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0)
    return std::nullopt;
  // What is left may only be padding and line breaks.
  for (const char* p = end; p < text.data() + text.size(); ++p) {
    if (*p != '=' && *p != '\n' && *p != '\r' && *p != ' ' && *p != '\t') return std::nullopt;
  }
  out.resize(len);
  return out;
}

std::string EncodeBase64(std::string_view data) {
  std::string out(sodium_base64_ENCODED_LEN(data.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::string EncodeBase64Mime(std::string_view data) {
  const std::string flat = EncodeBase64(data);
  std::string out;
  out.reserve(flat.size() + flat.size() / 60 + 1);
  for (size_t i = 0; i < flat.size(); i += 60) {
    out.append(flat, i, 60);
    out += '\n';
  }
  return out;
}

std::optional<std::string> DecodeHex(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out(text.size() / 2, '\0');
  size_t len = 0;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr, &len,
                     nullptr) != 0 ||
      len != out.size())
    return std::nullopt;
  return out;
}

bool OutputsMatch(std::string_view expected, std::string_view actual) {
  auto normal = [](std::string_view text) {
    std::string out;
    size_t start = 0;
    while (start <= text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      std::string_view line = text.substr(start, end - start);
      while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.remove_suffix(1);
      out.append(line);
      out += '\n';
      start = end + 1;
    }
    while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
    return out;
  };
  return normal(expected) == normal(actual);
}

std::string SignalName(int signal) {
  const char* abbrev = sigabbrev_np(signal);
  return abbrev ? std::string("SIG") + abbrev : std::string();
}

}  // namespace runlet::api::compat
