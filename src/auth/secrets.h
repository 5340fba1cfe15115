// Random secrets and how they are kept: session ids, API tokens and recovery codes are
// random strings handed out once; the server stores only their SHA-256 digests and
// compares in constant time.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace runlet::auth {

// `prefix` followed by `bytes` random bytes in lower-case base32 (no padding), e.g.
// RandomToken("rlt_", 32) -> "rlt_" + 52 characters.
std::string RandomToken(std::string_view prefix, size_t bytes = 32);
// A one-time recovery code: "xxxxx-xxxxx" of lower-case base32 (50 random bits).
std::string RandomRecoveryCode();
// The SHA-256 of `data`, as 64 lower-case hex digits.
std::string Sha256Hex(std::string_view data);
// Whether a and b are equal, in time that depends only on their lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace runlet::auth
