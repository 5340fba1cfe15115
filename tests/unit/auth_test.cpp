// The credential primitives: TOTP against RFC 6238's own test vectors, argon2id
// hashes, random tokens and the login throttle.
#include <gtest/gtest.h>

#include <set>

#include "auth/password.h"
#include "auth/secrets.h"
#include "auth/login_guard.h"
#include "auth/throttle.h"
#include "auth/totp.h"

namespace runlet::auth {
namespace {

// RFC 6238 appendix B: the SHA-1 key "12345678901234567890", here in base32.
constexpr char kRfcSecret[] = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

TEST(Totp, CodesMatchTheRfc6238TestVectors) {
  const std::pair<std::time_t, const char*> vectors[] = {
      {59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"},
      {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"}};
  for (const auto& [t, code] : vectors) {
    auto eight = TotpCode(kRfcSecret, t, 8);
    ASSERT_TRUE(eight) << eight.error().message;
    EXPECT_EQ(*eight, code) << "at " << t;
    auto six = TotpCode(kRfcSecret, t);
    ASSERT_TRUE(six);
    EXPECT_EQ(*six, std::string(code).substr(2)) << "at " << t;
  }
}

TEST(Totp, MatchTellsTheTimeStepOfTheCodeWithinTheWindow) {
  const std::time_t now = 1111111111;  // step 37037037
  auto current = TotpCode(kRfcSecret, now);
  auto previous = TotpCode(kRfcSecret, now - 30);
  auto older = TotpCode(kRfcSecret, now - 90);
  ASSERT_TRUE(current && previous && older);
  EXPECT_EQ(MatchTotp(kRfcSecret, *current, now), std::optional<uint64_t>(now / 30));
  EXPECT_EQ(MatchTotp(kRfcSecret, *previous, now), std::optional<uint64_t>(now / 30 - 1));
  EXPECT_EQ(MatchTotp(kRfcSecret, *older, now), std::nullopt);
}

TEST(Totp, RefusesWrongMalformedAndForeignCodes) {
  const std::time_t now = 1234567890;
  auto code = TotpCode(kRfcSecret, now);
  ASSERT_TRUE(code);
  std::string wrong = *code;
  wrong[0] = wrong[0] == '9' ? '0' : static_cast<char>(wrong[0] + 1);
  EXPECT_EQ(MatchTotp(kRfcSecret, wrong, now), std::nullopt);
  EXPECT_EQ(MatchTotp(kRfcSecret, "", now), std::nullopt);
  EXPECT_EQ(MatchTotp(kRfcSecret, "12345", now), std::nullopt);
  EXPECT_EQ(MatchTotp(kRfcSecret, "12a456", now), std::nullopt);
  EXPECT_EQ(MatchTotp(kRfcSecret, *code + "0", now), std::nullopt);
  EXPECT_EQ(MatchTotp(NewTotpSecret(), *code, now), std::nullopt);
  EXPECT_EQ(MatchTotp("not base32!", *code, now), std::nullopt);
}

TEST(Totp, NewSecretsAreRandomBase32ThatAppsRead) {
  const std::string a = NewTotpSecret(), b = NewTotpSecret();
  EXPECT_EQ(a.size(), 32u);  // 20 bytes
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), std::string::npos) << a;
  EXPECT_TRUE(TotpCode(a, 1000));
  const std::string uri = TotpUri("Runlet", "alice", a);
  EXPECT_EQ(uri, "otpauth://totp/Runlet:alice?secret=" + a + "&issuer=Runlet&algorithm=SHA1&digits=6&period=30");
}

TEST(Password, Argon2idHashesVerifyOnlyTheRightPassword) {
  auto hash = HashPassword("correct horse");
  ASSERT_TRUE(hash);
  EXPECT_EQ(hash->rfind("$argon2id$", 0), 0u) << *hash;
  EXPECT_TRUE(VerifyPassword(*hash, "correct horse"));
  EXPECT_FALSE(VerifyPassword(*hash, "correct horsE"));
  EXPECT_FALSE(VerifyPassword(*hash, ""));
  auto again = HashPassword("correct horse");
  ASSERT_TRUE(again);
  EXPECT_NE(*hash, *again) << "a fresh salt each time";
  EXPECT_FALSE(VerifyPassword("", "x"));
  EXPECT_FALSE(VerifyPassword("$argon2id$garbage", "x"));
}

TEST(Password, NewPasswordsNeedEightCharactersOfUtf8) {
  EXPECT_NE(CheckNewPassword("short"), "");
  EXPECT_NE(CheckNewPassword(std::string(1025, 'a')), "");
  EXPECT_NE(CheckNewPassword("bad\xff utf-8"), "");
  EXPECT_NE(CheckNewPassword(std::string("nul\0inside", 10)), "");
  EXPECT_EQ(CheckNewPassword("long enough"), "");
}

TEST(Secrets, TokensAreRandomPrefixedAndHashedWithSha256) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string t = RandomToken("rlt_");
    EXPECT_EQ(t.rfind("rlt_", 0), 0u);
    EXPECT_EQ(t.size(), 4u + 52u);
    EXPECT_TRUE(seen.insert(t).second);
  }
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string code = RandomRecoveryCode();
  EXPECT_EQ(code.size(), 11u);
  EXPECT_EQ(code[5], '-');
  EXPECT_TRUE(ConstantTimeEquals("same", "same"));
  EXPECT_FALSE(ConstantTimeEquals("same", "sane"));
  EXPECT_FALSE(ConstantTimeEquals("same", "same!"));
  EXPECT_FALSE(ConstantTimeEquals("", "x"));
}

TEST(Throttle, BlocksAfterTheFreeFailuresWithADoublingDelay) {
  Throttle::Policy policy;
  policy.free_failures = 3;
  policy.first_delay = std::chrono::seconds(10);
  policy.max_delay = std::chrono::seconds(25);
  Throttle t(policy);
  auto now = Throttle::Clock::now();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(t.Check("k", now), std::nullopt);
    t.Failure("k", now);
  }
  EXPECT_EQ(t.Check("k", now), std::nullopt) << "three failures are free";
  t.Failure("k", now);
  EXPECT_EQ(t.Check("k", now), std::optional(std::chrono::seconds(10)));
  EXPECT_EQ(t.Check("other", now), std::nullopt) << "keys are apart";
  now += std::chrono::seconds(11);
  EXPECT_EQ(t.Check("k", now), std::nullopt);
  t.Failure("k", now);
  EXPECT_EQ(t.Check("k", now), std::optional(std::chrono::seconds(20)));
  t.Failure("k", now);
  EXPECT_EQ(t.Check("k", now), std::optional(std::chrono::seconds(25))) << "capped";
  t.Success("k");
  EXPECT_EQ(t.Check("k", now), std::nullopt);
}

TEST(Throttle, KeepsAtMostMaxKeysForgettingTheUnblockedFirst) {
  Throttle::Policy policy;
  policy.free_failures = 1;
  policy.max_keys = 3;
  Throttle t(policy);
  auto now = Throttle::Clock::now();
  t.Failure("a", now);
  t.Failure("a", now);
  ASSERT_TRUE(t.Check("a", now));
  t.Failure("b", now);
  t.Failure("c", now);
  t.Failure("d", now);  // a fourth key: b and c (not blocked) are forgotten
  EXPECT_TRUE(t.Check("a", now)) << "a blocked key is kept";
  t.Failure("b", now);
  EXPECT_EQ(t.Check("b", now), std::nullopt) << "b's first failure was forgotten";
}

TEST(LoginGuard, AnAccountLockedAtOneAddressStillLogsInFromAnother) {
  LoginGuard g;
  auto now = LoginGuard::Clock::now();
  for (int i = 0; i < 6; ++i) g.Failure("x", "10.0.0.1", now);
  EXPECT_TRUE(g.Check("x", "10.0.0.1", now)) << "the pair waits";
  EXPECT_EQ(g.Check("x", "10.0.0.2", now), std::nullopt) << "another address does not";
  EXPECT_EQ(g.Check("y", "10.0.0.1", now), std::nullopt) << "nor another account at that address";
}

TEST(LoginGuard, OneAddressTryingManyAccountsWaitsAfterItsAllowance) {
  LoginGuard g;
  auto now = LoginGuard::Clock::now();
  for (int i = 0; i < 100; ++i) g.Failure("user" + std::to_string(i), "10.0.0.1", now);
  EXPECT_EQ(g.Check("fresh", "10.0.0.1", now), std::nullopt) << "100 failures are free";
  g.Failure("user100", "10.0.0.1", now);
  EXPECT_EQ(g.Check("fresh", "10.0.0.1", now), std::optional(std::chrono::seconds(30)));
  EXPECT_EQ(g.Check("fresh", "10.0.0.2", now), std::nullopt);
}

TEST(LoginGuard, ManyAddressesGuessingOneAccountSlowItButNeverForLong) {
  LoginGuard g;
  auto now = LoginGuard::Clock::now();
  g.Success("x", "192.0.2.1", now);  // the owner's usual address
  for (int i = 0; i < 20; ++i) g.Failure("x", "10.0.0." + std::to_string(i), now);
  EXPECT_EQ(g.Check("x", "10.9.9.9", now), std::nullopt) << "20 failures over all addresses are free";
  g.Failure("x", "10.0.1.1", now);
  EXPECT_EQ(g.Check("x", "10.9.9.9", now), std::optional(std::chrono::seconds(1)));
  for (int i = 0; i < 30; ++i) g.Failure("x", "10.0.2." + std::to_string(i), now);
  EXPECT_EQ(g.Check("x", "10.9.9.9", now), std::optional(std::chrono::seconds(30))) << "capped: slowed, not locked";
  EXPECT_EQ(g.Check("x", "192.0.2.1", now), std::nullopt) << "an address that logged in before is not slowed";
  EXPECT_EQ(g.Check("x", "10.9.9.9", now + std::chrono::seconds(31)), std::nullopt);
}

}  // namespace
}  // namespace runlet::auth
