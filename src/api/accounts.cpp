// Accounts: who sent a request (session cookie or Bearer token), sign-up, login with
// TOTP, logout, /me, two-factor enrolment and API tokens.
//
// Credentials are random secrets handed out once; the store keeps their SHA-256 only.
// A browser session travels in an HttpOnly SameSite=Strict cookie; requests that change
// something with it must also carry the session's CSRF token in X-CSRF-Token (the
// runlet_csrf cookie holds it for the page's scripts) and, when they send an Origin, come
// from the server's own. Bearer requests need neither: no browser adds them by itself.
#include <chrono>
#include <ctime>

#include "api/compat.h"
#include "api/state.h"
#include "auth/password.h"
#include "auth/secrets.h"
#include "auth/totp.h"
#include "core/utf8.h"

namespace runlet::api {
namespace {

constexpr char kSessionCookie[] = "runlet_session";
constexpr char kCsrfCookie[] = "runlet_csrf";
constexpr int kSessionDays = 14;
constexpr size_t kMaxTokens = 50;
constexpr int kRecoveryCodes = 10;

std::string Rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  return buf;
}

std::string CookieValue(const Request& req, std::string_view name) {
  const std::string header = req.Header("cookie");
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string_view part(header.data() + pos, end - pos);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name && part[name.size()] == '=')
      return std::string(part.substr(name.size() + 1));
    pos = end + 1;
  }
  return "";
}

bool Unsafe(const std::string& method) { return method != "GET" && method != "HEAD" && method != "OPTIONS"; }

// The host[:port] of an Origin header ("http://127.0.0.1:8080" -> "127.0.0.1:8080").
std::string OriginHost(const std::string& origin) {
  auto p = origin.find("://");
  return p == std::string::npos ? origin : origin.substr(p + 3);
}

// Whether a browser says the request comes from a page of another origin: an Origin
// that is not this server (or "null"), or Sec-Fetch-Site other than same-origin (and
// "none": the user's own navigation). API clients usually send neither.
bool FromOtherSite(const Request& req) {
  const std::string origin = req.Header("origin");
  if (!origin.empty() && OriginHost(origin) != req.Header("host")) return true;
  const std::string site = req.Header("sec-fetch-site");
  return !site.empty() && site != "same-origin" && site != "none";
}

Response WithRetry(Response r, std::chrono::seconds retry) {
  bool set = false;
  for (auto& [k, v] : r.headers) {
    if (k == "Retry-After") {
      v = std::to_string(std::max<long>(1, retry.count()));
      set = true;
    }
  }
  if (!set) r.headers.emplace_back("Retry-After", std::to_string(std::max<long>(1, retry.count())));
  return r;
}

// Requests anyone may send; the handlers still apply each project's visibility.
bool AnonymousAllowed(const Request& req) {
  const std::string& p = req.path;
  const bool read = req.method == "GET" || req.method == "HEAD";  // HEAD is a GET without the body
  if (read && (p == "/api/v1/runtimes" || p == "/api/v1/faq" || p == "/api/v1/gallery")) return true;
  if (req.method == "POST" && (p == "/api/v1/auth/signup" || p == "/api/v1/auth/login" || p == "/api/v1/auth/logout"))
    return true;
  // A project and its files, when public.
  const std::string prefix = "/api/v1/projects/";
  if (read && p.rfind(prefix, 0) == 0) {
    const std::string rest = p.substr(prefix.size());
    const auto slash = rest.find('/');
    if (slash == std::string::npos) return true;
    const std::string tail = rest.substr(slash);
    return tail == "/files" || tail.rfind("/files/", 0) == 0;
  }
  return false;
}

// What visitors who are not logged in may do when the admin allows anonymous runs: run
// a public project, and follow, answer and stop the runs they started (whose ids only
// they were told).
bool AnonymousRunRequest(const Request& req) {
  const std::string& p = req.path;
  auto parts = [&](const std::string& prefix) -> std::pair<std::string, std::string> {
    if (p.rfind(prefix, 0) != 0) return {};
    const std::string rest = p.substr(prefix.size());
    const auto slash = rest.find('/');
    return {rest.substr(0, slash), slash == std::string::npos ? "" : rest.substr(slash)};
  };
  if (auto [id, tail] = parts("/api/v1/projects/"); !id.empty()) {
    return (req.method == "POST" && tail == "/runs") || (req.method == "GET" && tail == "/run-limits");
  }
  if (auto [id, tail] = parts("/api/v1/runs/"); !id.empty()) {
    if (req.method == "GET") return tail.empty() || tail == "/events" || tail == "/logs" || tail == "/attach";
    return req.method == "POST" && tail == "/stop";
  }
  return false;
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

json::object UserJson(ApiState& s, const store::User& u) {
  Principal p;
  p.quota = u.quota;
  p.role = u.role;
  return {{"id", u.id},
          {"username", u.username},
          {"role", u.role},
          {"disabled", u.disabled},
          {"totp_enabled", u.totp_enabled},
          {"created_at", u.created_at},
          {"quota", QuotaToJson(s.QuotaFor(p))}};
}

std::string CookieAttributes(const ApiState& s, const Request& req) {
  std::string a = "; Path=/; SameSite=Strict";
  const CookieSecure mode = s.deps.cookie_secure;
  if (mode == CookieSecure::kAlways ||
      (mode == CookieSecure::kAuto && (!s.deps.listen_loopback || req.forwarded_https)))
    a += "; Secure";
  return a;
}

// Checks a second factor: a TOTP code (never the same time step twice) or an unused
// recovery code (used up). Errors: kUnauthorized "invalid".
Status CheckSecondFactor(ApiState& s, const store::User& u, const std::string& given) {
  std::string code;
  for (char c : given) {
    if (c != ' ') code += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (code.size() == auth::kTotpDigits) {
    auto counter = auth::MatchTotp(u.totp_secret, code, std::time(nullptr));
    if (counter) {
      auto fresh = s.deps.store.AcceptTotpCounter(u.id, static_cast<int64_t>(*counter));
      if (!fresh) return tl::unexpected(fresh.error());
      if (*fresh) return {};
      return Fail(ErrorKind::kUnauthorized, "that code has been used already; wait for the next one");
    }
  } else if (!code.empty()) {
    auto used = s.deps.store.UseRecoveryCode(u.id, auth::Sha256Hex(code));
    if (!used) return tl::unexpected(used.error());
    if (*used) return {};
  }
  return Fail(ErrorKind::kUnauthorized, "the code is wrong or expired");
}

// Parses {"code": "..."}.
Result<std::string> CodeFrom(const Request& req) {
  auto body = ParseObject(req.body);
  if (!body) return tl::unexpected(body.error());
  std::string error;
  auto code = OptString(*body, "code", error);
  if (!error.empty()) return Fail(ErrorKind::kInvalid, error);
  if (!code || code->empty() || code->size() > 64) return Fail(ErrorKind::kInvalid, "code is required");
  return *code;
}

}  // namespace

std::string UsernameProblem(const std::string& name) {
  if (name.size() < 3 || name.size() > 32) return "a user name has 3 to 32 characters";
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
      return "a user name has only a-z, 0-9, '_', '-' and '.'";
  }
  if (name[0] == '.' || name[0] == '-') return "a user name starts with a letter, a digit or '_'";
  if (name == kAnonymousUser) return "the name anonymous is the server's own (visitors' runs)";
  return "";
}

std::optional<Response> Authenticate(ApiState& s, Request& req) {
  req.client_address = ClientAddress(req.remote_address, req.Header("x-forwarded-for"), s.deps.trusted_proxies);
  if (auto peer = IpAddress::Parse(req.remote_address); peer && AnyContains(s.deps.trusted_proxies, *peer)) {
    // The nearest proxy's word: the right-most value.
    const std::string proto = Lower(req.Header("x-forwarded-proto"));
    const auto comma = proto.rfind(',');
    std::string last = comma == std::string::npos ? proto : proto.substr(comma + 1);
    last.erase(0, last.find_first_not_of(' '));
    req.forwarded_https = last == "https";
  }
  if (compat::DialectOf(req.path) != compat::Dialect::kNone) return compat::Authenticate(s, req);
  if (req.path.rfind("/api/", 0) != 0) return std::nullopt;
  std::string secret;
  bool via_cookie = false;
  // Why the request is refused, once it has been counted against its sender's rate.
  std::optional<Response> refused;
  const std::string authorization = req.Header("authorization");
  if (!authorization.empty()) {
    if (authorization.rfind("Bearer ", 0) != 0 || authorization.size() <= 7)
      refused = ErrorResponse(401, "invalid_token", "Authorization must be \"Bearer <token>\"");
    else
      secret = authorization.substr(7);
  } else {
    // Without a Bearer token a browser may have sent it, from any page: changes (and
    // logins, sign-ups, logouts, which need no session) only from this server's pages.
    if (Unsafe(req.method) && FromOtherSite(req))
      return ErrorResponse(403, "csrf_failed", "requests from other sites are refused");
    // (Logging in or signing up does not act as the session a cookie may carry.)
    if (req.path != "/api/v1/auth/login" && req.path != "/api/v1/auth/signup") {
      secret = CookieValue(req, kSessionCookie);
      via_cookie = !secret.empty();
    }
  }
  if (!secret.empty()) {
    auto credential = s.deps.store.FindCredential(auth::Sha256Hex(secret));
    if (!credential) return ErrorResponse(credential.error());
    const std::string now = store::NowRfc3339();
    const bool valid = *credential && ((**credential).expires_at.empty() || (**credential).expires_at > now);
    if (!valid && !via_cookie) refused = ErrorResponse(401, "invalid_token", "the token is unknown, revoked or expired");
    if (valid) {
      const auto& c = **credential;
      auto user = s.deps.store.GetUser(c.user_id);
      if (!user) return ErrorResponse(user.error());
      if (!*user || (**user).disabled) return ErrorResponse(403, "account_disabled", "this account is disabled");
      if (via_cookie && Unsafe(req.method)) {
        if (!auth::ConstantTimeEquals(req.Header("x-csrf-token"), c.csrf_token))
          return ErrorResponse(403, "csrf_failed", "send the session's CSRF token in X-CSRF-Token");
      }
      // Cross-site pages may not drive a session: nor open a WebSocket with it.
      if (via_cookie && !req.Header("upgrade").empty() && FromOtherSite(req))
        return ErrorResponse(403, "csrf_failed", "requests from other sites may not use this session");
      Principal p;
      p.user_id = c.user_id;
      p.username = (**user).username;
      p.role = (**user).role;
      p.credential_id = c.id;
      p.kind = c.kind;
      p.quota = (**user).quota;
      req.principal = std::move(p);
      // Tokens say when they were last used, to the minute.
      if (c.kind == "token" && c.last_used_at.substr(0, 16) != now.substr(0, 16))
        (void)s.deps.store.TouchCredential(c.id, now);
    }
  }
  // A signed-in user's requests count against that user wherever they come from (one
  // user's burst does not hold up others behind the same address); the rest against
  // the client's address.
  std::chrono::seconds retry{1};
  const std::string who = req.principal ? "user:" + std::to_string(req.principal->user_id)
                                        : "address:" + req.client_address;
  if (!s.limiter.Allow(who, retry))
    return WithRetry(ErrorResponse(429, "rate_limited", "too many requests; slow down"), retry);
  if (refused) return refused;
  if (!req.principal && AnonymousRunRequest(req) && s.Settings().anonymous_runs) {
    auto anonymous = s.AnonymousPrincipal();
    if (!anonymous) return ErrorResponse(anonymous.error());
    req.principal = std::move(*anonymous);
  }
  if (!req.principal && !AnonymousAllowed(req))
    return ErrorResponse(401, "unauthorized", "log in first (a session cookie, or Authorization: Bearer <token>)");
  return std::nullopt;
}

Handler OnWorkers(const std::shared_ptr<ApiState>& s, auth::HashWorkers ApiState::*workers, std::string busy_message,
                  Handler handler) {
  return [s, workers, busy = std::move(busy_message), handler = std::move(handler)](Request& req) {
    Response r;
    r.deferred = [s, workers, busy, handler, req](std::function<void(Response)> deliver) {
      auto task = [handler, req, deliver]() mutable { deliver(CallHandler(handler, req, req.path)); };
      if (!((*s).*workers).Submit(std::move(task))) deliver(ErrorResponse(503, "busy", busy));
    };
    return r;
  };
}

// For handlers that hash or verify a password (argon2id: 64 MiB, tens of ms): runs
// `handler` on the state's hashing workers, off the HTTP threads, so that concurrent
// logins wait their turn in little memory; when too many wait, 503.
Handler OffHttpThreads(const std::shared_ptr<ApiState>& s, Handler handler) {
  return OnWorkers(s, &ApiState::hashers, "too many logins at once; try again in a second", std::move(handler));
}

void RegisterAccountRoutes(Router& router, const std::shared_ptr<ApiState>& state) {
  auto s = state;

  router.Add("POST", "/api/v1/auth/signup", OffHttpThreads(s, [s](Request& req) {
    if (!s->Settings().signup_open)
      return ErrorResponse(403, "signup_closed", "sign-up is closed on this server; ask an admin for an account");
    auto body = ParseObject(req.body);
    if (!body) return ErrorResponse(body.error());
    std::string error;
    auto username = OptString(*body, "username", error);
    auto password = OptString(*body, "password", error);
    if (!error.empty()) return Invalid(error);
    if (!username || !password) return Invalid("username and password are required");
    const std::string name = Lower(*username);
    if (auto why = UsernameProblem(name); !why.empty()) return Invalid(why);
    if (auto why = auth::CheckNewPassword(*password); !why.empty()) return Invalid(why);
    auto hash = auth::HashPassword(*password);
    if (!hash) return ErrorResponse(hash.error());
    store::User u;
    u.username = name;
    u.password_hash = *hash;
    u.created_at = store::NowRfc3339();
    auto id = s->deps.store.CreateUser(u);
    if (!id) {
      if (id.error().kind == ErrorKind::kConflict) return ErrorResponse(409, "username_taken", "that user name is taken");
      return ErrorResponse(id.error());
    }
    u.id = *id;
    return Ok(UserJson(*s, u), 201);
  }), kTinyBody);

  router.Add("POST", "/api/v1/auth/login", OffHttpThreads(s, [s](Request& req) {
    auto body = ParseObject(req.body);
    if (!body) return ErrorResponse(body.error());
    std::string error;
    auto username = OptString(*body, "username", error);
    auto password = OptString(*body, "password", error);
    auto totp = OptString(*body, "totp", error);
    if (!error.empty()) return Invalid(error);
    if (!username || !password || username->size() > 64 || password->size() > 1024)
      return Invalid("username and password are required");
    const std::string name = Lower(*username);
    if (auto wait = s->logins.Check(name, req.client_address))
      return WithRetry(ErrorResponse(429, "too_many_attempts", "too many failed logins; try again later"), *wait);
    auto failed = [&](const std::string& code, const std::string& message) {
      s->logins.Failure(name, req.client_address);
      return ErrorResponse(401, code, message);
    };
    auto user = s->deps.store.FindUser(name);
    if (!user) return ErrorResponse(user.error());
    if (!*user) {
      auth::BurnVerifyTime(*password);  // as long as a wrong password for a real account
      return failed("invalid_credentials", "wrong user name or password");
    }
    const store::User& u = **user;
    if (!auth::VerifyPassword(u.password_hash, *password))
      return failed("invalid_credentials", "wrong user name or password");
    if (u.disabled) return ErrorResponse(403, "account_disabled", "this account is disabled");
    if (u.totp_enabled) {
      if (!totp || totp->empty())
        return ErrorResponse(401, "totp_required", "enter the code from your authenticator app (or a recovery code)");
      if (auto st = CheckSecondFactor(*s, u, *totp); !st) {
        if (st.error().kind != ErrorKind::kUnauthorized) return ErrorResponse(st.error());
        return failed("invalid_totp", st.error().message);
      }
    }
    s->logins.Success(name, req.client_address);
    // A new session every time (no fixation): one that came with the request ends.
    if (auto old = CookieValue(req, kSessionCookie); !old.empty()) {
      if (auto c = s->deps.store.FindCredential(auth::Sha256Hex(old)); c && *c)
        (void)s->deps.store.DeleteCredential((**c).user_id, (**c).id);
    }
    store::Credential c;
    const std::string secret = auth::RandomToken("rls_");
    c.id = store::NewId();
    c.user_id = u.id;
    c.kind = "session";
    c.secret_hash = auth::Sha256Hex(secret);
    c.csrf_token = auth::RandomToken("", 24);
    c.created_at = store::NowRfc3339();
    c.expires_at = Rfc3339(std::chrono::system_clock::now() + std::chrono::hours(24 * kSessionDays));
    if (auto st = s->deps.store.CreateCredential(c); !st) return ErrorResponse(st.error());
    Response r = Ok(json::object{{"token", secret},
                                 {"csrf_token", c.csrf_token},
                                 {"expires_at", c.expires_at},
                                 {"user", UserJson(*s, u)}});
    const std::string max_age = "; Max-Age=" + std::to_string(kSessionDays * 24 * 3600);
    r.headers.emplace_back("Set-Cookie", std::string(kSessionCookie) + "=" + secret + max_age + "; HttpOnly" + CookieAttributes(*s, req));
    r.headers.emplace_back("Set-Cookie", std::string(kCsrfCookie) + "=" + c.csrf_token + max_age + CookieAttributes(*s, req));
    return r;
  }), kTinyBody);

  router.Add("POST", "/api/v1/auth/logout", [s](Request& req) {
    if (req.principal && req.principal->kind == "session")
      (void)s->deps.store.DeleteCredential(req.principal->user_id, req.principal->credential_id);
    Response r;
    r.status = 204;
    r.headers.emplace_back("Set-Cookie", std::string(kSessionCookie) + "=; Max-Age=0; HttpOnly" + CookieAttributes(*s, req));
    r.headers.emplace_back("Set-Cookie", std::string(kCsrfCookie) + "=; Max-Age=0" + CookieAttributes(*s, req));
    return r;
  });

  router.Add("GET", "/api/v1/me", [s](Request& req) {
    auto user = s->deps.store.GetUser(req.principal->user_id);
    if (!user) return ErrorResponse(user.error());
    if (!*user) return ErrorResponse(401, "unauthorized", "log in first");
    json::object o = UserJson(*s, **user);
    const auto usage = s->deps.runs.UsageOf(req.principal->user_id);
    o["usage"] = json::object{{"runs", usage.concurrent_runs}, {"memory_bytes", usage.memory_bytes}, {"cpus", usage.cpus}};
    o["recovery_codes_left"] = (**user).recovery_hashes.size();
    return Ok(o);
  });

  router.Add("POST", "/api/v1/me/password", OffHttpThreads(s, [s](Request& req) {
    auto body = ParseObject(req.body);
    if (!body) return ErrorResponse(body.error());
    std::string error;
    auto current = OptString(*body, "current_password", error);
    auto next = OptString(*body, "new_password", error);
    if (!error.empty()) return Invalid(error);
    if (!current || !next) return Invalid("current_password and new_password are required");
    if (auto why = auth::CheckNewPassword(*next); !why.empty()) return Invalid(why);
    const std::string& name = req.principal->username;
    if (auto wait = s->logins.Check(name, req.client_address))
      return WithRetry(ErrorResponse(429, "too_many_attempts", "too many failed attempts; try again later"), *wait);
    auto user = s->deps.store.GetUser(req.principal->user_id);
    if (!user || !*user) return ErrorResponse(500, "internal_error", "cannot read the account");
    store::User u = **user;
    if (!auth::VerifyPassword(u.password_hash, *current)) {
      s->logins.Failure(name, req.client_address);
      return ErrorResponse(401, "invalid_credentials", "the current password is wrong");
    }
    auto hash = auth::HashPassword(*next);
    if (!hash) return ErrorResponse(hash.error());
    // Whoever knew the old password may hold a session or a token: every one ends but
    // the one that made the change.
    for (const char* kind : {"session", "token"}) {
      auto list = s->deps.store.ListCredentials(u.id, kind);
      if (!list) return ErrorResponse(list.error());
      for (const auto& c : *list) {
        if (c.id == req.principal->credential_id) continue;
        if (auto st = s->deps.store.DeleteCredential(u.id, c.id); !st && st.error().kind != ErrorKind::kNotFound)
          return ErrorResponse(st.error());
      }
    }
    u.password_hash = *hash;
    if (auto st = s->deps.store.UpdateUser(u); !st) return ErrorResponse(st.error());
    Response r;
    r.status = 204;
    return r;
  }), kTinyBody);

  // Two-factor enrolment: a pending secret, confirmed by a first code.
  router.Add("POST", "/api/v1/me/totp", [s](Request& req) {
    auto user = s->deps.store.GetUser(req.principal->user_id);
    if (!user || !*user) return ErrorResponse(500, "internal_error", "cannot read the account");
    store::User u = **user;
    if (u.totp_enabled) return ErrorResponse(409, "conflict", "two-factor is already on; turn it off first");
    u.totp_secret = auth::NewTotpSecret();
    if (auto st = s->deps.store.UpdateUser(u); !st) return ErrorResponse(st.error());
    return Ok(json::object{{"secret", u.totp_secret}, {"otpauth_uri", auth::TotpUri("Runlet", u.username, u.totp_secret)}},
              201);
  });
  router.Add("POST", "/api/v1/me/totp/verify", [s](Request& req) {
    auto code = CodeFrom(req);
    if (!code) return ErrorResponse(code.error());
    auto user = s->deps.store.GetUser(req.principal->user_id);
    if (!user || !*user) return ErrorResponse(500, "internal_error", "cannot read the account");
    store::User u = **user;
    if (u.totp_enabled) return ErrorResponse(409, "conflict", "two-factor is already on");
    if (u.totp_secret.empty()) return ErrorResponse(409, "conflict", "start with POST /api/v1/me/totp");
    const std::string key = "totp:" + std::to_string(u.id);
    if (auto wait = s->codes.Check(key))
      return WithRetry(ErrorResponse(429, "too_many_attempts", "too many wrong codes; try again later"), *wait);
    auto counter = auth::MatchTotp(u.totp_secret, *code, std::time(nullptr));
    if (!counter) {
      s->codes.Failure(key);
      return ErrorResponse(401, "invalid_totp", "the code is wrong or expired");
    }
    auto fresh = s->deps.store.AcceptTotpCounter(u.id, static_cast<int64_t>(*counter));
    if (!fresh) return ErrorResponse(fresh.error());
    if (!*fresh) return ErrorResponse(401, "invalid_totp", "that code has been used already; wait for the next one");
    json::array codes;
    std::vector<std::string> hashes;
    for (int i = 0; i < kRecoveryCodes; ++i) {
      std::string c = auth::RandomRecoveryCode();
      hashes.push_back(auth::Sha256Hex(c));
      codes.push_back(json::string(c));
    }
    if (auto st = s->deps.store.SetRecoveryCodes(u.id, hashes); !st) return ErrorResponse(st.error());
    u.totp_enabled = true;
    if (auto st = s->deps.store.UpdateUser(u); !st) return ErrorResponse(st.error());
    s->codes.Success(key);
    return Ok(json::object{{"recovery_codes", codes}});
  });
  router.Add("DELETE", "/api/v1/me/totp", [s](Request& req) {
    auto code = CodeFrom(req);
    if (!code) return ErrorResponse(code.error());
    auto user = s->deps.store.GetUser(req.principal->user_id);
    if (!user || !*user) return ErrorResponse(500, "internal_error", "cannot read the account");
    store::User u = **user;
    if (!u.totp_enabled) return ErrorResponse(409, "conflict", "two-factor is not on");
    const std::string key = "totp:" + std::to_string(u.id);
    if (auto wait = s->codes.Check(key))
      return WithRetry(ErrorResponse(429, "too_many_attempts", "too many wrong codes; try again later"), *wait);
    if (auto st = CheckSecondFactor(*s, u, *code); !st) {
      if (st.error().kind != ErrorKind::kUnauthorized) return ErrorResponse(st.error());
      s->codes.Failure(key);
      return ErrorResponse(401, "invalid_totp", st.error().message);
    }
    u.totp_enabled = false;
    u.totp_secret.clear();
    if (auto st = s->deps.store.UpdateUser(u); !st) return ErrorResponse(st.error());
    if (auto st = s->deps.store.SetRecoveryCodes(u.id, {}); !st) return ErrorResponse(st.error());
    Response r;
    r.status = 204;
    return r;
  });

  // API tokens: shown once, stored hashed, revocable. Making one takes the password (or,
  // with two-factor on, a code): a stolen session or token alone cannot mint a lasting
  // credential.
  router.Add("POST", "/api/v1/me/tokens", OffHttpThreads(s, [s](Request& req) {
    std::string name = "token";
    auto body = ParseObject(req.body.empty() ? std::string("{}") : req.body);
    if (!body) return ErrorResponse(body.error());
    std::string error;
    if (auto n = OptString(*body, "name", error)) name = *n;
    auto password = OptString(*body, "password", error);
    auto code = OptString(*body, "totp", error);
    if (!error.empty()) return Invalid(error);
    if (name.empty() || name.size() > 100 || !IsValidUtf8(name)) return Invalid("name must be 1-100 characters of UTF-8");
    if ((!password || password->empty()) && (!code || code->empty()))
      return ErrorResponse(401, "password_required", "confirm with your password (or a two-factor code) to make a token");
    if ((password && password->size() > 1024) || (code && code->size() > 64)) return Invalid("password or code too long");
    const std::string& username = req.principal->username;
    if (auto wait = s->logins.Check(username, req.client_address))
      return WithRetry(ErrorResponse(429, "too_many_attempts", "too many failed attempts; try again later"), *wait);
    auto user = s->deps.store.GetUser(req.principal->user_id);
    if (!user) return ErrorResponse(user.error());
    if (!*user) return ErrorResponse(401, "unauthorized", "log in first");
    if (password && !password->empty()) {
      if (!auth::VerifyPassword((**user).password_hash, *password)) {
        s->logins.Failure(username, req.client_address);
        return ErrorResponse(401, "invalid_credentials", "the password is wrong");
      }
    } else if (!(**user).totp_enabled) {
      return ErrorResponse(401, "password_required", "two-factor is off: confirm with your password");
    } else if (auto st = CheckSecondFactor(*s, **user, *code); !st) {
      if (st.error().kind != ErrorKind::kUnauthorized) return ErrorResponse(st.error());
      s->logins.Failure(username, req.client_address);
      return ErrorResponse(401, "invalid_totp", st.error().message);
    }
    s->logins.Success(username, req.client_address);
    auto existing = s->deps.store.ListCredentials(req.principal->user_id, "token");
    if (!existing) return ErrorResponse(existing.error());
    if (existing->size() >= kMaxTokens)
      return ErrorResponse(409, "conflict", "at most " + std::to_string(kMaxTokens) + " tokens; revoke one first");
    store::Credential c;
    const std::string secret = auth::RandomToken("rlt_");
    c.id = store::NewId();
    c.user_id = req.principal->user_id;
    c.kind = "token";
    c.name = name;
    c.secret_hash = auth::Sha256Hex(secret);
    c.created_at = store::NowRfc3339();
    if (auto st = s->deps.store.CreateCredential(c); !st) return ErrorResponse(st.error());
    return Ok(json::object{{"id", c.id}, {"name", c.name}, {"token", secret}, {"created_at", c.created_at}}, 201);
  }));
  router.Add("GET", "/api/v1/me/tokens", [s](Request& req) {
    auto list = s->deps.store.ListCredentials(req.principal->user_id, "token");
    if (!list) return ErrorResponse(list.error());
    json::array out;
    for (const auto& c : *list) {
      out.push_back(json::object{{"id", c.id},
                                 {"name", c.name},
                                 {"created_at", c.created_at},
                                 {"last_used_at", c.last_used_at.empty() ? json::value(nullptr) : json::value(c.last_used_at)}});
    }
    return Ok(out);
  });
  router.Add("DELETE", "/api/v1/me/tokens/{id}", [s](Request& req) {
    auto list = s->deps.store.ListCredentials(req.principal->user_id, "token");
    if (!list) return ErrorResponse(list.error());
    const std::string id = req.params["id"];
    if (std::none_of(list->begin(), list->end(), [&](const store::Credential& c) { return c.id == id; }))
      return ErrorResponse(404, "not_found", "no token " + id);
    if (auto st = s->deps.store.DeleteCredential(req.principal->user_id, id); !st) return ErrorResponse(st.error());
    Response r;
    r.status = 204;
    return r;
  });
}

}  // namespace runlet::api
