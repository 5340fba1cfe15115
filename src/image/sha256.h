// SHA-256 (libsodium), incrementally, with lowercase hex output.
#pragma once

#include <sodium.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace runlet::image {

class Sha256 {
 public:
  Sha256();
  void Update(std::string_view data);
  void Update(const void* data, size_t size);
  // 64 lowercase hex digits. The object may not be updated afterwards.
  std::string HexDigest();

 private:
  crypto_hash_sha256_state state_;
};

// The hex SHA-256 of everything readable from `fd` (read from its current offset).
Result<std::string> Sha256OfFd(int fd);
Result<std::string> Sha256OfFile(const std::string& path);

// True for "sha256:" followed by exactly 64 lowercase hex digits.
bool IsSha256Digest(std::string_view digest);

}  // namespace runlet::image
