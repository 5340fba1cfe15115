// IP address ranges in CIDR form ("127.0.0.0/8", "::1/128", "10.1.2.3"), matched against
// textual addresses. IPv4-mapped IPv6 addresses ("::ffff:127.0.0.1") match as IPv4.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "core/error.h"

namespace runlet {

class AddressRange {
 public:
  // kInvalid for anything but an address with an optional /prefix within its family's bits.
  static Result<AddressRange> Parse(const std::string& text);
  bool Contains(const std::string& address) const;

 private:
  bool v4_ = true;
  std::array<unsigned char, 16> bytes_{};
  int bits_ = 0;
};

// Whether any range of `ranges` contains `address`.
bool AnyContains(const std::vector<AddressRange>& ranges, const std::string& address);

}  // namespace runlet
