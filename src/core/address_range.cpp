#include "core/address_range.h"

#include <arpa/inet.h>

#include <cstring>

namespace runlet {
namespace {

// The address's bytes (4 or 16) and family; false when it is not an address.
bool ToBytes(const std::string& text, std::array<unsigned char, 16>& bytes, bool& v4) {
  bytes.fill(0);
  if (::inet_pton(AF_INET, text.c_str(), bytes.data()) == 1) {
    v4 = true;
    return true;
  }
  if (::inet_pton(AF_INET6, text.c_str(), bytes.data()) != 1) return false;
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(bytes.data(), kMapped, sizeof kMapped) == 0) {
    std::memmove(bytes.data(), bytes.data() + 12, 4);
    std::memset(bytes.data() + 4, 0, 12);
    v4 = true;
    return true;
  }
  v4 = false;
  return true;
}

}  // namespace

Result<AddressRange> AddressRange::Parse(const std::string& text) {
  AddressRange range;
  const size_t slash = text.find('/');
  const std::string address = text.substr(0, slash);
  if (!ToBytes(address, range.bytes_, range.v4_)) return Fail(ErrorKind::kInvalid, "not an IP address range: " + text);
  const int max_bits = range.v4_ ? 32 : 128;
  range.bits_ = max_bits;
  if (slash != std::string::npos) {
    const std::string bits = text.substr(slash + 1);
    if (bits.empty() || bits.size() > 3 || bits.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(bits) > max_bits)
      return Fail(ErrorKind::kInvalid, "not an IP address range: " + text + " (the prefix has 0 to " +
                                           std::to_string(max_bits) + " bits)");
    range.bits_ = std::stoi(bits);
  }
  return range;
}

bool AddressRange::Contains(const std::string& address) const {
  std::array<unsigned char, 16> bytes{};
  bool v4 = false;
  if (!ToBytes(address, bytes, v4) || v4 != v4_) return false;
  int left = bits_;
  for (size_t i = 0; left > 0; ++i, left -= 8) {
    const unsigned char mask = left >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - left));
    if ((bytes[i] & mask) != (bytes_[i] & mask)) return false;
  }
  return true;
}

bool AnyContains(const std::vector<AddressRange>& ranges, const std::string& address) {
  for (const auto& r : ranges) {
    if (r.Contains(address)) return true;
  }
  return false;
}

}  // namespace runlet
