// Accounts made from the command line and by the server's first start.
#pragma once

#include <string>

#include "core/error.h"
#include "store/store.h"

namespace runlet::cli {

// A random password of 24 base32 characters (120 bits).
std::string GeneratePassword();
// A new account with an argon2id hash of `password`. kConflict if the name is taken.
Result<int64_t> CreateUser(store::Store& store, const std::string& username, const std::string& password,
                           const std::string& role);

}  // namespace runlet::cli
