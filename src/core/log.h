// The server's log: one JSON object per line on stderr, {"time", "level", "msg", ...fields}.
// Thread-safe (a line is written whole).
#pragma once

#include <boost/json/object.hpp>
#include <string>

namespace runlet {

void Log(const char* level, const std::string& msg, boost::json::object fields = {});

}  // namespace runlet
