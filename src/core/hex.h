// Lowercase hexadecimal of bytes (digests, random names).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace runlet {

std::string HexEncode(const void* data, size_t size);
inline std::string HexEncode(std::string_view bytes) { return HexEncode(bytes.data(), bytes.size()); }

}  // namespace runlet
