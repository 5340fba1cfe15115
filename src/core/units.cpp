#include "core/units.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace runlet {
namespace {

// Splits "1.5Gi" into 1.5 and "Gi". Returns false when no number leads the text.
bool SplitNumber(std::string_view text, double& value, std::string_view& suffix) {
  if (text.empty()) return false;
  auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec != std::errc()) return false;
  suffix = text.substr(static_cast<size_t>(result.ptr - text.data()));
  return std::isfinite(value) && value >= 0;
}

}  // namespace

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  double value = 0;
  std::string_view suffix;
  if (!SplitNumber(text, value, suffix)) {
    return Fail("invalid duration \"" + std::string(text) + "\" (expected e.g. 2s, 500ms)");
  }
  double ms = 0;
  if (suffix.empty() || suffix == "s") {
    ms = value * 1000;
  } else if (suffix == "ms") {
    ms = value;
  } else if (suffix == "us") {
    ms = value / 1000;
  } else if (suffix == "m" || suffix == "min") {
    ms = value * 60000;
  } else if (suffix == "h") {
    ms = value * 3600000;
  } else {
    return Fail("invalid duration unit in \"" + std::string(text) + "\" (use ms, s, m or h)");
  }
  if (ms > 366.0 * 24 * 3600 * 1000) return Fail("duration \"" + std::string(text) + "\" is too long");
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(ms)));
}

Result<uint64_t> ParseSize(std::string_view text) {
  double value = 0;
  std::string_view suffix;
  if (!SplitNumber(text, value, suffix)) {
    return Fail("invalid size \"" + std::string(text) + "\" (expected e.g. 256M, 1G)");
  }
  if (!suffix.empty() && (suffix.back() == 'B' || suffix.back() == 'b')) suffix.remove_suffix(1);
  if (suffix.size() == 2 && suffix.back() == 'i') suffix.remove_suffix(1);
  double mult = 1;
  if (suffix.empty()) {
    mult = 1;
  } else if (suffix == "K" || suffix == "k") {
    mult = 1024.0;
  } else if (suffix == "M" || suffix == "m") {
    mult = 1024.0 * 1024;
  } else if (suffix == "G" || suffix == "g") {
    mult = 1024.0 * 1024 * 1024;
  } else if (suffix == "T" || suffix == "t") {
    mult = 1024.0 * 1024 * 1024 * 1024;
  } else {
    return Fail("invalid size unit in \"" + std::string(text) + "\" (use K, M, G or T)");
  }
  double bytes = value * mult;
  if (bytes > 9.0e18) return Fail("size \"" + std::string(text) + "\" is too large");
  return static_cast<uint64_t>(std::llround(bytes));
}

std::string FormatSize(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "K", "M", "G", "T"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  if (unit == 0 || value == std::floor(value)) {
    std::snprintf(buf, sizeof buf, "%.0f%s", value, kUnits[unit]);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f%s", value, kUnits[unit]);
  }
  return buf;
}

}  // namespace runlet
