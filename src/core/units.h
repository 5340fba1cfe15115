// Parsing and printing of the CLI's human units: "2s", "500ms", "256M", "1G".
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace runlet {

// "1.5s", "500ms", "2m", "250us", or a bare number of seconds. Rejects negatives,
// garbage and values above ~1 year.
Result<std::chrono::milliseconds> ParseDuration(std::string_view text);

// "64M", "1G", "512K", "1024" (bytes), "1.5G"; binary multiples (K = 1024).
Result<uint64_t> ParseSize(std::string_view text);

// 1048576 -> "1M", 1536 -> "1.5K", 100 -> "100B".
std::string FormatSize(uint64_t bytes);

}  // namespace runlet
