// JSON text in and out for everything that faces users (the API, callbacks, `--json`).
//
// ParseJson bounds what untrusted text may cost before any value is built: a first pass
// (Boost.JSON's basic_parser with a counting handler, which allocates nothing) stops at
// the first value over the limits, so a 14 MB array of zeros costs a scan, not 112 MB of
// values. JsonText prints numbers as people write them (1, 0.5, 64; Boost.JSON's own
// serializer prints doubles as 1E0, 5E-1, 6.4E1).
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

#include "core/error.h"

namespace runlet {

struct JsonLimits {
  size_t max_values = 100000;  // every value counts: arrays, objects, strings, numbers...
  size_t max_depth = 32;       // nesting of arrays and objects
  // Items of the top-level array (a batch), checked as they are read.
  size_t max_top_items = std::numeric_limits<size_t>::max();
};

// Parses one JSON document. kInvalid for malformed text (or too deep), kTooLarge when
// it holds more values, or its top-level array more items, than `limits` allow.
Result<boost::json::value> ParseJson(std::string_view text, const JsonLimits& limits = {});

// The value as compact JSON text. Integers and integral doubles print as integers
// (64.0 -> 64), other doubles in their shortest round-trip form (0.5, 1e+300); NaN and
// infinities, which JSON cannot carry, as null.
std::string JsonText(const boost::json::value& value);

}  // namespace runlet
