#include "image/sha256.h"

#include <fcntl.h>
#include <unistd.h>

#include <vector>

#include "core/hex.h"
#include "core/unique_fd.h"

namespace runlet::image {

Sha256::Sha256() {
  // Thread-safe and idempotent; hashing itself needs no random source.
  static const int init = sodium_init();
  (void)init;
  crypto_hash_sha256_init(&state_);
}

void Sha256::Update(std::string_view data) { Update(data.data(), data.size()); }

void Sha256::Update(const void* data, size_t size) {
  crypto_hash_sha256_update(&state_, static_cast<const unsigned char*>(data), size);
}

std::string Sha256::HexDigest() {
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state_, out);
  return HexEncode(out, sizeof out);
}

Result<std::string> Sha256OfFd(int fd) {
  Sha256 sha;
  std::vector<char> buf(1 << 17);
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return FailErrno("read");
    if (n == 0) break;
    sha.Update(buf.data(), static_cast<size_t>(n));
  }
  return sha.HexDigest();
}

Result<std::string> Sha256OfFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return FailErrno("open " + path);
  auto hex = Sha256OfFd(fd.get());
  if (!hex) return tl::unexpected(hex.error().Wrap(path));
  return hex;
}

bool IsSha256Digest(std::string_view digest) {
  constexpr std::string_view kPrefix = "sha256:";
  if (digest.size() != kPrefix.size() + 64 || digest.substr(0, kPrefix.size()) != kPrefix) return false;
  for (char c : digest.substr(kPrefix.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace runlet::image
