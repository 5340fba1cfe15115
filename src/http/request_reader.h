// What the server does with a request's bytes before a handler sees them: Beast's parser
// with the server's limits, and the parsed message turned into the API's plain Request.
// The server's sessions and the HTTP fuzz harness (fuzz/http_fuzz.cpp) share these.
#pragma once

#include <boost/beast/http.hpp>
#include <string>

#include "api/types.h"

namespace runlet::http {

using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

inline constexpr size_t kHeaderLimit = 64 * 1024;
// The largest WebSocket message a client may send (read_message_max).
inline constexpr size_t kWebSocketMessageLimit = 1 << 20;

// Sets the limits a request is read under: `body_limit` (413 beyond) and kHeaderLimit.
void LimitRequestParser(RequestParser& parser, size_t body_limit);

// The API's view of a parsed request from `remote`: its path and query percent-decoded,
// its header names in lower case. `ok` is false for a malformed target (bad escapes, NUL,
// a path that does not start with '/').
api::Request ConvertRequest(const boost::beast::http::request<boost::beast::http::string_body>& req,
                            const std::string& remote, bool& ok);

}  // namespace runlet::http
