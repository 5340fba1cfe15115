#pragma once

#include <string>
#include <string_view>

namespace runlet {

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or values > U+10FFFF).
bool IsValidUtf8(std::string_view text);

// Copy of `text` with each ill-formed sequence replaced by U+FFFD, so that program
// output can always be carried in JSON.
std::string SanitizeUtf8(std::string_view text);

}  // namespace runlet
