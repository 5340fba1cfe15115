#include "auth/totp.h"

#include <liboath/oath.h>
#include <sodium.h>

#include <cstdlib>
#include <mutex>

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "auth/secrets.h"

namespace runlet::auth {
namespace {

void InitOath() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (oath_init() != OATH_OK) std::abort();
  });
}

// The raw secret of a base32 string, or nullopt when it is not base32.
std::optional<std::string> DecodeSecret(std::string_view base32) {
  InitOath();
  char* raw = nullptr;
  size_t size = 0;
  std::string in(base32);
  // liboath wants padding to a multiple of 8 characters.
  while (in.size() % 8) in += '=';
  if (oath_base32_decode(in.data(), in.size(), &raw, &size) != OATH_OK || !raw || size == 0) {
    std::free(raw);
    return std::nullopt;
  }
  std::string out(raw, size);
  sodium_memzero(raw, size);
  std::free(raw);
  return out;
}

std::string UrlEncode(std::string_view s) { return boost::urls::encode(s, boost::urls::unreserved_chars); }

struct Expected {
  std::string_view code;
};

int CompareCode(void* handle, const char* test_otp) {
  const auto* expected = static_cast<const Expected*>(handle);
  return ConstantTimeEquals(expected->code, test_otp) ? 0 : 1;
}

}  // namespace

std::string NewTotpSecret() {
  InitOath();
  if (sodium_init() < 0) std::abort();
  unsigned char raw[20];
  randombytes_buf(raw, sizeof raw);
  char* out = nullptr;
  size_t size = 0;
  if (oath_base32_encode(reinterpret_cast<const char*>(raw), sizeof raw, &out, &size) != OATH_OK) std::abort();
  sodium_memzero(raw, sizeof raw);
  std::string secret(out, size);
  std::free(out);
  while (!secret.empty() && secret.back() == '=') secret.pop_back();
  return secret;
}

std::string TotpUri(std::string_view issuer, std::string_view account, std::string_view secret_base32) {
  return "otpauth://totp/" + UrlEncode(issuer) + ":" + UrlEncode(account) + "?secret=" + std::string(secret_base32) +
         "&issuer=" + UrlEncode(issuer) + "&algorithm=SHA1&digits=" + std::to_string(kTotpDigits) +
         "&period=" + std::to_string(kTotpStepSeconds);
}

Result<std::string> TotpCode(std::string_view secret_base32, std::time_t now, unsigned digits) {
  auto secret = DecodeSecret(secret_base32);
  if (!secret) return Fail(ErrorKind::kInvalid, "the TOTP secret is not base32");
  char code[16] = {};
  if (oath_totp_generate(secret->data(), secret->size(), now, kTotpStepSeconds, OATH_TOTP_DEFAULT_START_TIME, digits,
                         code) != OATH_OK) {
    return Fail("generate TOTP code");
  }
  return std::string(code);
}

std::optional<uint64_t> MatchTotp(std::string_view secret_base32, std::string_view code, std::time_t now,
                                  unsigned window) {
  if (code.size() != kTotpDigits) return std::nullopt;
  for (char c : code) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  auto secret = DecodeSecret(secret_base32);
  if (!secret) return std::nullopt;
  Expected expected{code};
  int pos = 0;
  uint64_t counter = 0;
  int rc = oath_totp_validate4_callback(secret->data(), secret->size(), now, kTotpStepSeconds,
                                        OATH_TOTP_DEFAULT_START_TIME, kTotpDigits, window, &pos, &counter, 0,
                                        CompareCode, &expected);
  sodium_memzero(secret->data(), secret->size());
  if (rc < 0) return std::nullopt;
  return counter;
}

}  // namespace runlet::auth
