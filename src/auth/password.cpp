#include "auth/password.h"

#include <sodium.h>

#include <mutex>

#include "core/utf8.h"

namespace runlet::auth {
namespace {

void InitSodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) std::abort();  // no entropy source: nothing here can be safe
  });
}

}  // namespace

Result<std::string> HashPassword(std::string_view password) {
  InitSodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Fail("hash password: out of memory");
  }
  return std::string(out);
}

bool VerifyPassword(const std::string& hash, std::string_view password) {
  InitSodium();
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

void BurnVerifyTime(std::string_view password) {
  static const std::string dummy = [] {
    auto h = HashPassword("runlet-dummy-password-for-timing");
    return h ? *h : std::string();
  }();
  (void)VerifyPassword(dummy, password);
}

std::string CheckNewPassword(std::string_view password) {
  if (password.size() < 8) return "a password needs at least 8 characters";
  if (password.size() > 1024) return "a password may have at most 1024 bytes";
  if (!IsValidUtf8(password)) return "a password must be UTF-8";
  if (password.find('\0') != std::string_view::npos) return "a password may not contain NUL";
  return "";
}

}  // namespace runlet::auth
