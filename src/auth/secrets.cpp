#include "auth/secrets.h"

#include <sodium.h>

#include <vector>

#include "core/hex.h"

namespace runlet::auth {
namespace {

constexpr char kBase32[] = "abcdefghijklmnopqrstuvwxyz234567";

std::string Base32(const unsigned char* data, size_t size) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (size_t i = 0; i < size; ++i) {
    buffer = (buffer << 8) | data[i];
    bits += 8;
    while (bits >= 5) {
      out += kBase32[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kBase32[(buffer << (5 - bits)) & 31];
  return out;
}

}  // namespace

std::string RandomToken(std::string_view prefix, size_t bytes) {
  if (sodium_init() < 0) std::abort();
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  std::string out(prefix);
  out += Base32(raw.data(), raw.size());
  sodium_memzero(raw.data(), raw.size());
  return out;
}

std::string RandomRecoveryCode() {
  std::string t = RandomToken("", 7);  // 56 bits -> 12 characters; 10 are used
  return t.substr(0, 5) + "-" + t.substr(5, 5);
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return HexEncode(digest, sizeof digest);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace runlet::auth
