// TOTP two-factor codes (RFC 6238: HMAC-SHA1, 30 s steps, 6 digits), through liboath.
// Secrets are kept and shown in base32 (RFC 4648, upper case, no padding), the form
// authenticator apps read from an otpauth:// URI.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace runlet::auth {

inline constexpr unsigned kTotpStepSeconds = 30;
inline constexpr unsigned kTotpDigits = 6;

// A fresh random secret of 20 bytes (160 bits, as RFC 4226 recommends), in base32.
std::string NewTotpSecret();
// otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
std::string TotpUri(std::string_view issuer, std::string_view account, std::string_view secret_base32);
// The code for time `now` (for tests and for enrolment checks). Errors: a bad secret.
Result<std::string> TotpCode(std::string_view secret_base32, std::time_t now, unsigned digits = kTotpDigits);
// If `code` is the code of a time step within `window` steps of `now`, that step's
// counter (now / 30 for the current one); nullopt otherwise. Compares in constant time.
// The caller refuses a counter it has already accepted (replay).
std::optional<uint64_t> MatchTotp(std::string_view secret_base32, std::string_view code, std::time_t now,
                                  unsigned window = 1);

}  // namespace runlet::auth
