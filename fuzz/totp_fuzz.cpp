// TOTP codes as users type them, against secrets in base32 (auth/totp.h), and the
// constant-time comparison credentials go through. Input: 8 bytes of time, then
// "secret\ncode".
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "auth/secrets.h"
#include "auth/totp.h"

namespace {
[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "%s\n", what.c_str());
  std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 8) return 0;
  int64_t raw;
  std::memcpy(&raw, data, 8);
  // Any time from 1970 to the year 10000.
  const std::time_t now = static_cast<std::time_t>(static_cast<uint64_t>(raw) % 253402300800ull);
  const std::string text(reinterpret_cast<const char*>(data) + 8, size - 8);
  const size_t nl = text.find('\n');
  const std::string secret = text.substr(0, nl);
  const std::string code = nl == std::string::npos ? std::string() : text.substr(nl + 1);

  if (runlet::auth::ConstantTimeEquals(secret, code) != (secret == code)) Fail("ConstantTimeEquals is wrong");
  (void)runlet::auth::TotpUri("runlet", code, secret);

  const auto expected = runlet::auth::TotpCode(secret, now);
  const auto matched = runlet::auth::MatchTotp(secret, code, now);
  if (!expected) {
    if (matched) Fail("a code matched a secret that makes no codes");
    return 0;
  }
  if (expected->size() != runlet::auth::kTotpDigits) Fail("a code of the wrong length: " + *expected);
  const auto own = runlet::auth::MatchTotp(secret, *expected, now);
  if (!own || *own != static_cast<uint64_t>(now) / runlet::auth::kTotpStepSeconds) Fail("the current code does not match");
  if (matched) {
    // The counter it names is within the window, and that step's code is the one typed.
    const uint64_t step = static_cast<uint64_t>(now) / runlet::auth::kTotpStepSeconds;
    if (*matched + 1 < step || *matched > step + 1) Fail("a match outside the window");
    auto at = runlet::auth::TotpCode(secret, static_cast<std::time_t>(*matched * runlet::auth::kTotpStepSeconds));
    if (!at || *at != code) Fail("a matched code is not that step's code");
  }
  return 0;
}
