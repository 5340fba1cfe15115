#pragma once

#include <boost/json/value.hpp>

#include "core/run_result.h"

namespace runlet {

// The public result object (../shared/API.md). `build` is the build step's result, or
// null when there was none. Output is made valid UTF-8 (ill-formed bytes become U+FFFD).
boost::json::object ResultToJson(const RunResult& result, const RunResult* build = nullptr);

// Limits in the form requests give them ({"time": "2000ms", "memory": 268435456, ...}).
boost::json::object LimitsJson(const Limits& limits);

// The inverse of ResultToJson (without "build"); missing fields keep their defaults.
RunResult ResultFromJson(const boost::json::object& object);

}  // namespace runlet
