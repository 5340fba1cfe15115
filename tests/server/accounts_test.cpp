// Accounts against the real server: sign-up, login, sessions with CSRF, session
// fixation, API tokens and their revocation, TOTP enrolment, replay and recovery codes,
// throttling, no user enumeration, and the admin's sign-up switch.
#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iterator>
#include <thread>

#include "accounts_test.h"
#include "auth/totp.h"

namespace runlet::testing {
namespace {

using Accounts = AccountsTest;

std::string CookieOf(const HttpResponse& r, const std::string& name) {
  // HttpResponse keeps one value per header name; the login sends two Set-Cookie fields,
  // joined by the client as "a=...; ..., b=...".
  const std::string all = r.Header("set-cookie");
  const auto at = all.find(name + "=");
  if (at == std::string::npos) return "";
  const auto end = all.find(';', at);
  return all.substr(at + name.size() + 1, end - at - name.size() - 1);
}

// The code of the next time step that has not been used yet, waiting for it if needed.
std::string FreshCode(const std::string& secret, std::time_t& last_step) {
  for (;;) {
    const std::time_t now = std::time(nullptr);
    if (now / 30 > last_step) {
      last_step = now / 30;
      return *auth::TotpCode(secret, now);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

TEST_F(Accounts, SignUpLogInAndLogOut) {
  auto signup = Send("POST", "/api/v1/auth/signup", Anonymous(), R"({"username":"Alice","password":"alice-password"})");
  ASSERT_EQ(signup.status, 201) << signup.body;
  EXPECT_EQ(Str(signup.Json(), "username"), "alice") << "names are lower case";
  EXPECT_EQ(Str(signup.Json(), "role"), "user");
  EXPECT_EQ(signup.body.find("password"), std::string::npos) << signup.body;
  EXPECT_TRUE(IsError(Send("POST", "/api/v1/auth/signup", Anonymous(), R"({"username":"alice","password":"other-password"})"),
                      409, "username_taken"));

  auto login = Login("alice", "alice-password");
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string token = Str(login.Json(), "token");
  auto me = Send("GET", "/api/v1/me", As(token));
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(Str(me.Json(), "username"), "alice");
  EXPECT_EQ(me.body.find("argon2"), std::string::npos);

  EXPECT_EQ(Send("POST", "/api/v1/auth/logout", As(token)).status, 204);
  EXPECT_TRUE(IsError(Send("GET", "/api/v1/me", As(token)), 401, "invalid_token")) << "the session has ended";
  EXPECT_TRUE(IsError(Send("GET", "/api/v1/me", Anonymous()), 401, "unauthorized"));
  EXPECT_TRUE(IsError(Send("GET", "/api/v1/me", {{"Authorization", "Basic abc"}}), 401, "invalid_token"));
}

TEST_F(Accounts, BadSignUpsAreRefusedWithReasons) {
  const char* bodies[] = {
      R"({"username":"ab","password":"long-enough"})",                // too short a name
      R"({"username":"bad name","password":"long-enough"})",          // a space
      R"({"username":"../etc","password":"long-enough"})",            // path-like
      R"({"username":"bob","password":"short"})",                     // too short a password
      R"({"username":"bob"})",                                         // no password
      R"({"username":"bob","password":12345678})",                     // a number
      R"(not json)",
  };
  for (const char* body : bodies) EXPECT_TRUE(IsError(Send("POST", "/api/v1/auth/signup", Anonymous(), body), 400, "invalid_request")) << body;
}

TEST_F(Accounts, WrongPasswordsAndUnknownNamesGetTheSameAnswer) {
  NewUser("carol");
  auto wrong = Login("carol", "not-the-password");
  auto unknown = Login("nobody", "not-the-password");
  EXPECT_TRUE(IsError(wrong, 401, "invalid_credentials"));
  EXPECT_TRUE(IsError(unknown, 401, "invalid_credentials"));
  EXPECT_EQ(wrong.body, unknown.body);
  // Timing: an unknown name still costs an argon2id verification. Medians of a few tries
  // are within a factor of three of each other (the hash alone takes tens of ms).
  auto time_of = [&](const std::string& name) {
    std::vector<double> ms;
    for (int i = 0; i < 3; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      Login(name, "not-the-password");
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    return ms[1];
  };
  const double known = time_of("carol"), none = time_of("nobody2");
  EXPECT_LT(none, known * 3) << "unknown " << none << " ms, known " << known << " ms";
  EXPECT_LT(known, none * 3) << "unknown " << none << " ms, known " << known << " ms";
}

TEST_F(Accounts, RepeatedFailedLoginsAreThrottledWithRetryAfter) {
  NewUser("dave");
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(IsError(Login("dave", "wrong-password"), 401, "invalid_credentials")) << i;
  EXPECT_TRUE(IsError(Login("dave", "wrong-password"), 401, "invalid_credentials"));
  // Now even the right password waits.
  auto blocked = Login("dave", "dave-password");
  EXPECT_TRUE(IsError(blocked, 429, "too_many_attempts"));
  EXPECT_GE(std::stoi(blocked.Header("retry-after")), 1);
  // Another account is not locked by dave's attacker.
  NewUser("erin");
}

TEST_F(Accounts, CookieSessionsNeedTheCsrfTokenForChanges) {
  NewUser("frank");
  auto login = Login("frank", "frank-password");
  ASSERT_EQ(login.status, 200);
  const std::string all = login.Header("set-cookie");
  EXPECT_NE(all.find("HttpOnly"), std::string::npos) << all;
  EXPECT_NE(all.find("SameSite=Strict"), std::string::npos) << all;
  const std::string session = CookieOf(login, "runlet_session");
  const std::string csrf = Str(login.Json(), "csrf_token");
  ASSERT_FALSE(session.empty()) << all;
  EXPECT_EQ(CookieOf(login, "runlet_csrf"), csrf);
  const Headers cookie{{"Authorization", ""}, {"Cookie", "runlet_session=" + session}};

  auto me = Send("GET", "/api/v1/me", cookie);
  EXPECT_EQ(me.status, 200) << "reads need no CSRF token: " << me.body;
  const std::string body = R"({"name":"p","runtime":"python-3.11"})";
  EXPECT_TRUE(IsError(Send("POST", "/api/v1/projects", cookie, body), 403, "csrf_failed"));
  Headers wrong = cookie;
  wrong.emplace_back("X-CSRF-Token", csrf + "x");
  EXPECT_TRUE(IsError(Send("POST", "/api/v1/projects", wrong, body), 403, "csrf_failed"));
  Headers right = cookie;
  right.emplace_back("X-CSRF-Token", csrf);
  EXPECT_EQ(Send("POST", "/api/v1/projects", right, body).status, 201);
  // From another site's page, even with the token.
  Headers foreign = right;
  foreign.emplace_back("Origin", "http://evil.example");
  EXPECT_TRUE(IsError(Send("POST", "/api/v1/projects", foreign, body), 403, "csrf_failed"));
  // A Bearer token needs no CSRF token: browsers never add one by themselves.
  EXPECT_EQ(Send("POST", "/api/v1/projects", As(Str(login.Json(), "token")), body).status, 201);
}

TEST_F(Accounts, LoginStartsANewSessionAndEndsTheOneItCameWith) {
  NewUser("grace");
  auto first = Login("grace", "grace-password");
  const std::string planted = CookieOf(first, "runlet_session");
  // A login that arrives with a session cookie (planted by an attacker, say) gets a new one.
  auto second = Send("POST", "/api/v1/auth/login", {{"Authorization", ""}, {"Cookie", "runlet_session=" + planted}},
                     R"({"username":"grace","password":"grace-password"})");
  ASSERT_EQ(second.status, 200) << second.body;
  const std::string fresh = CookieOf(second, "runlet_session");
  EXPECT_NE(fresh, planted);
  EXPECT_EQ(Send("GET", "/api/v1/me", As(fresh)).status, 200);
  EXPECT_TRUE(IsError(Send("GET", "/api/v1/me", As(planted)), 401, "invalid_token"));
}

TEST_F(Accounts, ApiTokensAreShownOnceStoredHashedAndRevocable) {
  const std::string session = NewUser("heidi");
  auto made = Send("POST", "/api/v1/me/tokens", As(session), R"({"name":"ci","password":"heidi-password"})");
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string token = Str(made.Json(), "token"), id = Str(made.Json(), "id");
  EXPECT_EQ(token.rfind("rlt_", 0), 0u);
  EXPECT_EQ(Send("GET", "/api/v1/me", As(token)).status, 200);
  auto list = Send("GET", "/api/v1/me/tokens", As(session));
  ASSERT_EQ(list.status, 200);
  EXPECT_NE(list.body.find("\"ci\""), std::string::npos);
  EXPECT_EQ(list.body.find(token), std::string::npos) << "never shown again";
  // The database holds no token in the clear.
  std::string db;
  {
    std::ifstream in(data_dir() + "/runlet.db", std::ios::binary);
    db.assign(std::istreambuf_iterator<char>(in), {});
    std::ifstream wal(data_dir() + "/runlet.db-wal", std::ios::binary);
    db.append(std::istreambuf_iterator<char>(wal), {});
  }
  EXPECT_EQ(db.find(token), std::string::npos);
  EXPECT_EQ(db.find(session), std::string::npos);
  // Someone else cannot revoke it; its owner can.
  const std::string other = NewUser("ivan");
  EXPECT_TRUE(IsError(Send("DELETE", "/api/v1/me/tokens/" + id, As(other)), 404, "not_found"));
  EXPECT_EQ(Send("DELETE", "/api/v1/me/tokens/" + id, As(session)).status, 204);
  EXPECT_TRUE(IsError(Send("GET", "/api/v1/me", As(token)), 401, "invalid_token"));
  EXPECT_TRUE(IsError(Send("DELETE", "/api/v1/me/tokens/" + id, As(session)), 404, "not_found"));
}

TEST_F(Accounts, TotpEnrolmentLoginReplayAndRecoveryCodes) {
  const std::string session = NewUser("judy");
  auto enrol = Send("POST", "/api/v1/me/totp", As(session));
  ASSERT_EQ(enrol.status, 201) << enrol.body;
  const std::string secret = Str(enrol.Json(), "secret");
  EXPECT_EQ(Str(enrol.Json(), "otpauth_uri").rfind("otpauth://totp/Runlet:judy?secret=" + secret, 0), 0u);
  // Not on until confirmed: a login still needs no code.
  EXPECT_EQ(Login("judy", "judy-password").status, 200);
  EXPECT_TRUE(IsError(Send("POST", "/api/v1/me/totp/verify", As(session), R"({"code":"000000"})"), 401, "invalid_totp"));

  std::time_t step = 0;
  const std::string first = FreshCode(secret, step);
  auto verify = Send("POST", "/api/v1/me/totp/verify", As(session), json::serialize(json::object{{"code", first}}));
  ASSERT_EQ(verify.status, 200) << verify.body;
  const json::value verified = verify.Json();
  const auto& codes = verified.as_object().at("recovery_codes").as_array();
  ASSERT_EQ(codes.size(), 10u);
  const std::string recovery(codes[0].as_string());

  EXPECT_TRUE(IsError(Login("judy", "judy-password"), 401, "totp_required"));
  // The code that confirmed enrolment cannot log in: a code works once.
  EXPECT_TRUE(IsError(Login("judy", "judy-password", {{"totp", first}}), 401, "invalid_totp"));
  const std::string second = FreshCode(secret, step);
  EXPECT_EQ(Login("judy", "judy-password", {{"totp", second}}).status, 200);
  EXPECT_TRUE(IsError(Login("judy", "judy-password", {{"totp", second}}), 401, "invalid_totp")) << "replayed";
  // A wrong password with a good code tells nothing about the code.
  EXPECT_TRUE(IsError(Login("judy", "wrong-password", {{"totp", second}}), 401, "invalid_credentials"));

  // A recovery code stands in for a code, once.
  EXPECT_EQ(Login("judy", "judy-password", {{"totp", recovery}}).status, 200);
  EXPECT_TRUE(IsError(Login("judy", "judy-password", {{"totp", recovery}}), 401, "invalid_totp"));
  // With two-factor on, a code (here a recovery code) stands in for the password when
  // making a token.
  auto token = Send("POST", "/api/v1/me/tokens", As(session),
                    json::serialize(json::object{{"name", "ci"}, {"totp", std::string(codes[1].as_string())}}));
  EXPECT_EQ(token.status, 201) << token.body;
  EXPECT_TRUE(IsError(Send("POST", "/api/v1/me/tokens", As(session),
                           json::serialize(json::object{{"name", "ci"}, {"totp", std::string(codes[1].as_string())}})),
                      401, "invalid_totp"));
  auto me = Send("GET", "/api/v1/me", As(session));
  EXPECT_EQ(me.Json().as_object().at("recovery_codes_left").as_int64(), 8);

  // Turning it off takes a code too.
  EXPECT_TRUE(IsError(Send("DELETE", "/api/v1/me/totp", As(session), R"({"code":"123456"})"), 401, "invalid_totp"));
  const std::string third = FreshCode(secret, step);
  EXPECT_EQ(Send("DELETE", "/api/v1/me/totp", As(session), json::serialize(json::object{{"code", third}})).status, 204);
  EXPECT_EQ(Login("judy", "judy-password").status, 200);
}

TEST_F(Accounts, AnAdminClosesSignUpAndDisablesAccounts) {
  const std::string admin = NewAdmin("root1");
  const std::string user = NewUser("mallory");
  EXPECT_TRUE(IsError(Send("PUT", "/api/v1/admin/settings", As(user), R"({"signup":"closed"})"), 403, "forbidden"));
  auto closed = Send("PUT", "/api/v1/admin/settings", As(admin), R"({"signup":"closed"})");
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_TRUE(IsError(Send("POST", "/api/v1/auth/signup", Anonymous(), R"({"username":"late","password":"late-password"})"),
                      403, "signup_closed"));
  EXPECT_TRUE(IsError(Send("PUT", "/api/v1/admin/settings", As(admin), R"({"signup":"maybe"})"), 400, "invalid_request"));

  // Disabling ends every session and token at once; login is refused.
  auto users = Send("GET", "/api/v1/admin/users", As(admin));
  ASSERT_EQ(users.status, 200);
  int64_t id = 0;
  const json::value listed = users.Json();
  for (const auto& u : listed.as_array()) {
    if (u.as_object().at("username") == "mallory") id = u.as_object().at("id").as_int64();
  }
  ASSERT_NE(id, 0);
  auto off = Send("PATCH", "/api/v1/admin/users/" + std::to_string(id), As(admin), R"({"disabled":true})");
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_EQ(Send("GET", "/api/v1/me", As(user)).status, 401);
  EXPECT_TRUE(IsError(Login("mallory", "mallory-password"), 403, "account_disabled"));
  // The settings outlive a restart.
  ASSERT_EQ(StopServer(SIGTERM), 0);
  StartServer();
  EXPECT_TRUE(IsError(Send("POST", "/api/v1/auth/signup", Anonymous(), R"({"username":"later","password":"later-password"})"),
                      403, "signup_closed"));
}

TEST_F(Accounts, TheLastAdminCannotBeDemoted) {
  const std::string admin = NewAdmin("root2");
  auto me = Send("GET", "/api/v1/me", As(admin));
  const int64_t id = me.Json().as_object().at("id").as_int64();
  // The server's first start made "admin" too; demote that one first.
  const json::value users = Send("GET", "/api/v1/admin/users", As(admin)).Json();
  for (const auto& u : users.as_array()) {
    const auto& o = u.as_object();
    if (o.at("role") == "admin" && o.at("id").as_int64() != id) {
      ASSERT_EQ(Send("PATCH", "/api/v1/admin/users/" + std::to_string(o.at("id").as_int64()), As(admin), R"({"role":"user"})").status, 200);
    }
  }
  EXPECT_TRUE(IsError(Send("PATCH", "/api/v1/admin/users/" + std::to_string(id), As(admin), R"({"role":"user"})"), 409, "conflict"));
}

TEST_F(Accounts, LoginSignUpAndLogOutFromOtherSitesAreRefused) {
  NewUser("olivia");
  const std::string login = R"({"username":"olivia","password":"olivia-password"})";
  const std::string signup = R"({"username":"planted","password":"planted-password"})";
  // What a form or fetch() on another site's page sends: text/plain needs no preflight.
  auto post = [&](const std::string& path, const std::string& body, Headers extra) {
    Headers headers{{"Authorization", ""}, {"Content-Type", "text/plain"}};
    headers.insert(headers.end(), extra.begin(), extra.end());
    return http().Request("POST", path, body, headers);
  };
  const std::string self = "http://127.0.0.1:" + std::to_string(server().port());
  const std::vector<Headers> foreign = {{{"Origin", "http://evil.example"}},
                                        {{"Origin", "null"}},
                                        {{"Origin", "http://127.0.0.1:1"}},
                                        {{"Sec-Fetch-Site", "cross-site"}},
                                        {{"Sec-Fetch-Site", "same-site"}},
                                        {{"Origin", self}, {"Sec-Fetch-Site", "cross-site"}}};
  for (const auto& from : foreign) {
    const std::string what = from.front().first + ": " + from.front().second;
    auto r = post("/api/v1/auth/login", login, from);
    EXPECT_TRUE(IsError(r, 403, "csrf_failed")) << what;
    EXPECT_EQ(r.Header("set-cookie"), "") << what;
    EXPECT_TRUE(IsError(post("/api/v1/auth/signup", signup, from), 403, "csrf_failed")) << what;
    EXPECT_TRUE(IsError(post("/api/v1/auth/logout", "", from), 403, "csrf_failed")) << what;
  }
  EXPECT_TRUE(IsError(Login("planted", "planted-password"), 401, "invalid_credentials")) << "no account was made";
  // The server's own pages, and API clients that send no Origin, log in.
  auto own = post("/api/v1/auth/login", login, {{"Origin", self}, {"Sec-Fetch-Site", "same-origin"}});
  EXPECT_EQ(own.status, 200) << own.body;
  EXPECT_NE(CookieOf(own, "runlet_session"), "");
  EXPECT_EQ(post("/api/v1/auth/login", login, {}).status, 200);
  EXPECT_EQ(post("/api/v1/auth/signup", signup, {}).status, 201);
}

TEST_F(Accounts, MakingAnApiTokenTakesThePassword) {
  const std::string session = NewUser("quinn");
  EXPECT_TRUE(IsError(Send("POST", "/api/v1/me/tokens", As(session), R"({"name":"ci"})"), 401, "password_required"));
  EXPECT_TRUE(IsError(Send("POST", "/api/v1/me/tokens", As(session), ""), 401, "password_required"));
  EXPECT_TRUE(IsError(Send("POST", "/api/v1/me/tokens", As(session), R"({"name":"ci","password":"wrong-password"})"),
                      401, "invalid_credentials"));
  EXPECT_TRUE(IsError(Send("POST", "/api/v1/me/tokens", As(session), R"({"name":"ci","totp":"123456"})"), 401,
                      "password_required"))
      << "two-factor is off: only the password";
  auto made = Send("POST", "/api/v1/me/tokens", As(session), R"({"name":"ci","password":"quinn-password"})");
  ASSERT_EQ(made.status, 201) << made.body;
  // A token does not mint tokens by itself either.
  const std::string token = Str(made.Json(), "token");
  EXPECT_TRUE(IsError(Send("POST", "/api/v1/me/tokens", As(token), R"({"name":"more"})"), 401, "password_required"));
  EXPECT_EQ(Send("POST", "/api/v1/me/tokens", As(token), R"({"name":"more","password":"quinn-password"})").status, 201);
  // Nor does a cookie session with its CSRF token.
  auto login = Login("quinn", "quinn-password");
  const Headers cookie{{"Authorization", ""},
                       {"Cookie", "runlet_session=" + CookieOf(login, "runlet_session")},
                       {"X-CSRF-Token", Str(login.Json(), "csrf_token")}};
  EXPECT_TRUE(IsError(Send("POST", "/api/v1/me/tokens", cookie, R"({"name":"web"})"), 401, "password_required"));
  EXPECT_EQ(Send("POST", "/api/v1/me/tokens", cookie, R"({"name":"web","password":"quinn-password"})").status, 201);
}

TEST_F(Accounts, APasswordChangeOrResetEndsEveryOtherSessionAndEveryToken) {
  const std::string current = NewUser("rita");
  const std::string other = Str(Login("rita", "rita-password").Json(), "token");
  auto made = Send("POST", "/api/v1/me/tokens", As(current), R"({"name":"ci","password":"rita-password"})");
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string token = Str(made.Json(), "token");
  auto changed = Send("POST", "/api/v1/me/password", As(current),
                      R"({"current_password":"rita-password","new_password":"rita-new-password"})");
  ASSERT_EQ(changed.status, 204) << changed.body;
  EXPECT_EQ(Send("GET", "/api/v1/me", As(current)).status, 200) << "the session that changed it stays";
  EXPECT_TRUE(IsError(Send("GET", "/api/v1/me", As(other)), 401, "invalid_token"));
  EXPECT_TRUE(IsError(Send("GET", "/api/v1/me", As(token)), 401, "invalid_token"));

  // An admin's reset from the shell ends them all.
  const std::string later = Str(Login("rita", "rita-new-password").Json(), "token");
  auto again = Send("POST", "/api/v1/me/tokens", As(later), R"({"name":"ci","password":"rita-new-password"})");
  ASSERT_EQ(again.status, 201) << again.body;
  const std::string command = "printf 'rita-reset-password\\n' | " + std::string(RUNLET_BIN) +
                              " admin reset-password rita --password-stdin " + "--data '" + data_dir() + "'" +
                              (database_.empty() ? "" : " --database '" + database_ + "'") + " >/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  EXPECT_TRUE(IsError(Send("GET", "/api/v1/me", As(later)), 401, "invalid_token"));
  EXPECT_TRUE(IsError(Send("GET", "/api/v1/me", As(Str(again.Json(), "token"))), 401, "invalid_token"));
  EXPECT_EQ(Login("rita", "rita-reset-password").status, 200);
}

TEST_F(Accounts, CookiesAreNotSecureOnLoopbackAndXForwardedProtoFromAnyoneIsIgnored) {
  NewUser("pat");
  auto plain = Login("pat", "pat-password");
  ASSERT_EQ(plain.status, 200);
  EXPECT_EQ(plain.Header("set-cookie").find("Secure"), std::string::npos) << plain.Header("set-cookie");
  auto claimed = Send("POST", "/api/v1/auth/login", {{"Authorization", ""}, {"X-Forwarded-Proto", "https"}},
                      R"({"username":"pat","password":"pat-password"})");
  ASSERT_EQ(claimed.status, 200);
  EXPECT_EQ(claimed.Header("set-cookie").find("Secure"), std::string::npos)
      << "the peer is no trusted proxy: " << claimed.Header("set-cookie");
}

class BehindTrustedProxy : public AccountsTest {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--trusted-proxy", "127.0.0.0/8"}; }
};

TEST_F(BehindTrustedProxy, CookiesAreSecureWhenTheProxySaysHttps) {
  NewUser("pat");
  auto login = [&](const std::string& proto) {
    return Send("POST", "/api/v1/auth/login", {{"Authorization", ""}, {"X-Forwarded-Proto", proto}},
                R"({"username":"pat","password":"pat-password"})");
  };
  const std::string https = login("https").Header("set-cookie");
  EXPECT_NE(https.find("runlet_session="), std::string::npos) << https;
  EXPECT_NE(https.find("; Secure"), std::string::npos) << https;
  EXPECT_EQ(login("http").Header("set-cookie").find("Secure"), std::string::npos);
}

class SecureCookiesAlways : public AccountsTest {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--cookie-secure", "always"}; }
};

TEST_F(SecureCookiesAlways, EvenOnLoopback) {
  NewUser("pat");
  const std::string cookies = Login("pat", "pat-password").Header("set-cookie");
  EXPECT_NE(cookies.find("; Secure"), std::string::npos) << cookies;
}

class OffLoopback : public AccountsTest {
 protected:
  // Listening on every address (as behind a TLS proxy on another machine).
  std::vector<std::string> ServerArgs() const override {
    const std::string config = dir_->path() + "/listen.json";
    std::ofstream(config) << R"({"listen": "0.0.0.0:0"})";
    return {"--config", config};
  }
};

TEST_F(OffLoopback, CookiesAreSecureByDefault) {
  NewUser("pat");
  const std::string cookies = Login("pat", "pat-password").Header("set-cookie");
  EXPECT_NE(cookies.find("; Secure"), std::string::npos) << cookies;
}

}  // namespace
}  // namespace runlet::testing
