// Password hashes: argon2id through libsodium, in its self-describing string form
// ("$argon2id$v=19$m=...,t=...,p=1$salt$hash"), so parameters can change later without
// invalidating stored hashes.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace runlet::auth {

// Hashes `password` with a fresh random salt. Fails only when memory is short.
Result<std::string> HashPassword(std::string_view password);
// Whether `password` matches `hash` (a string from HashPassword). A malformed hash never
// matches. Takes as long for a wrong password as for a right one.
bool VerifyPassword(const std::string& hash, std::string_view password);
// Spends the time of one VerifyPassword on a dummy hash: for unknown user names, so that
// timing does not tell which names exist.
void BurnVerifyTime(std::string_view password);
// Why `password` is not acceptable for a new account ("" when it is).
std::string CheckNewPassword(std::string_view password);

}  // namespace runlet::auth
