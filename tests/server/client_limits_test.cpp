// Who pays for a request: rates are counted per user once signed in (per client address
// before), failed logins per (account, address) with backstops per address and per
// account, and the client's address is read from X-Forwarded-For only when the peer is
// one of the proxies the admin trusts (--trusted-proxy). Attacks: one user's burst, one
// attacker locking out an account or its neighbours, a client writing its own
// X-Forwarded-For.
#include "accounts_test.h"

namespace runlet::testing {
namespace {

// --rate 3: a burst of 12, then 3 a second.
class RateLimits : public AccountsTest {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--rate", "3"}; }
  // Sends `request` until it is refused with 429 (at most 60 times); whether it was.
  bool Exhaust(const std::function<HttpResponse()>& request) {
    for (int i = 0; i < 60; ++i) {
      auto r = request();
      if (r.status == 429) {
        EXPECT_TRUE(IsError(r, 429, "rate_limited"));
        return true;
      }
      EXPECT_EQ(r.status, 200) << r.body;
    }
    return false;
  }
};

TEST_F(RateLimits, OneUsersBurstDoesNotHoldUpAnotherUserAtTheSameAddress) {
  const std::string hasty = NewUser("hasty"), patient = NewUser("patient");
  ASSERT_TRUE(Exhaust([&] { return Send("GET", "/api/v1/me", As(hasty)); })) << "the rate limit never hit";
  // Same address (127.0.0.1), another user: served.
  EXPECT_EQ(Send("GET", "/api/v1/me", As(patient)).status, 200);
  EXPECT_EQ(Send("GET", "/api/v1/runtimes", Anonymous()).status, 200) << "nor are anonymous requests held up";
}

class ForwardedRateLimits : public RateLimits {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--rate", "3", "--trusted-proxy", "127.0.0.1/32"}; }
};

TEST_F(ForwardedRateLimits, AnonymousClientsBehindATrustedProxyAreCountedApart) {
  auto from = [&](const std::string& forwarded_for) {
    return Send("GET", "/api/v1/runtimes", {{"Authorization", ""}, {"X-Forwarded-For", forwarded_for}});
  };
  ASSERT_TRUE(Exhaust([&] { return from("203.0.113.1"); }));
  EXPECT_EQ(from("203.0.113.2").status, 200) << "another client behind the same proxy";
  // The client wrote an X-Forwarded-For of its own, a new address each time; the proxy
  // appended the real one, whose bucket is empty (at most a token or two refill meanwhile).
  int passed = 0;
  for (int i = 0; i < 8; ++i) passed += from("198.51.100." + std::to_string(i) + ", 203.0.113.1").status == 200;
  EXPECT_LE(passed, 2);
}

class UntrustedForwardedFor : public RateLimits {
 protected:
  // A proxy is trusted, but not the test's address.
  std::vector<std::string> ServerArgs() const override { return {"--rate", "3", "--trusted-proxy", "192.0.2.0/24"}; }
};

TEST_F(UntrustedForwardedFor, IsIgnored) {
  int n = 0;
  ASSERT_TRUE(Exhaust([&] {
    return Send("GET", "/api/v1/runtimes", {{"Authorization", ""}, {"X-Forwarded-For", "203.0.113." + std::to_string(++n)}});
  })) << "each request named another address, and each was believed";
}

class LoginThrottle : public AccountsTest {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--trusted-proxy", "127.0.0.1/32"}; }
  HttpResponse LoginFrom(const std::string& address, const std::string& name, const std::string& password) {
    return Send("POST", "/api/v1/auth/login", {{"Authorization", ""}, {"X-Forwarded-For", address}},
                json::serialize(json::object{{"username", name}, {"password", password}}));
  }
};

TEST_F(LoginThrottle, FailuresForAnAccountFromOneAddressLockNeitherItElsewhereNorItsNeighbours) {
  NewUser("victim");
  NewUser("neighbour");
  for (int i = 0; i < 6; ++i)
    EXPECT_TRUE(IsError(LoginFrom("203.0.113.1", "victim", "wrong-password"), 401, "invalid_credentials")) << i;
  auto blocked = LoginFrom("203.0.113.1", "victim", "victim-password");
  EXPECT_TRUE(IsError(blocked, 429, "too_many_attempts")) << "the guessing address waits";
  EXPECT_EQ(LoginFrom("203.0.113.2", "victim", "victim-password").status, 200) << "the owner, elsewhere, does not";
  EXPECT_EQ(LoginFrom("203.0.113.1", "neighbour", "neighbour-password").status, 200)
      << "nor does another account at the guessing address";
}

TEST_F(LoginThrottle, FailuresAtOneAddressOverManyAccountsDoNotBlockOtherAccountsThere) {
  NewUser("resident");
  // 30 failures at one address, 5 per account: no pair is locked, and the address's
  // allowance is larger.
  for (int account = 0; account < 6; ++account) {
    for (int i = 0; i < 5; ++i) {
      EXPECT_TRUE(IsError(LoginFrom("203.0.113.7", "guess" + std::to_string(account), "wrong-password"), 401,
                          "invalid_credentials"));
    }
  }
  EXPECT_EQ(LoginFrom("203.0.113.7", "resident", "resident-password").status, 200);
}

TEST_F(LoginThrottle, GuessingOneAccountFromManyAddressesSlowsItButItsOwnerGetsIn) {
  NewUser("owner");
  ASSERT_EQ(LoginFrom("198.51.100.5", "owner", "owner-password").status, 200) << "the owner's usual address";
  // Wrong passwords, each from a new address: neither a pair nor an address is to blame,
  // so a refusal is the account's backstop.
  std::optional<HttpResponse> slowed;
  int refused_first = -1;
  for (int i = 0; i < 40 && !slowed; ++i) {
    refused_first = i;
    auto r = LoginFrom("203.0.113." + std::to_string(10 + i), "owner", "wrong-password");
    if (r.status == 429) {
      slowed = r;
    } else {
      EXPECT_TRUE(IsError(r, 401, "invalid_credentials")) << i;
    }
  }
  ASSERT_TRUE(slowed) << "40 guesses from 40 addresses were never slowed";
  EXPECT_GE(refused_first, 20) << "the first 20 failures are free";
  EXPECT_TRUE(IsError(*slowed, 429, "too_many_attempts"));
  EXPECT_LE(std::stoi(slowed->Header("retry-after")), 30) << "slowed, not locked out";
  // Meanwhile the owner, from an address where the account logged in before, is not.
  EXPECT_EQ(LoginFrom("198.51.100.5", "owner", "owner-password").status, 200);
}

}  // namespace
}  // namespace runlet::testing
