// What the server does with a request's bytes before a handler sees them: Beast's parser
// with the server's limits, and the parsed message turned into the API's plain Request.
// The server's sessions and the HTTP fuzz harness (fuzz/http_fuzz.cpp) share these.
#pragma once

#include <boost/beast/http.hpp>
#include <string>

#include "api/types.h"

namespace runlet::http {

using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// The largest WebSocket message a client may send (read_message_max).
inline constexpr size_t kWebSocketMessageLimit = 1 << 20;

// Sets the limits a request is read under: `header_limit` for its head (request line and
// fields) and `body_limit` (413 beyond).
void LimitRequestParser(RequestParser& parser, size_t header_limit, size_t body_limit);

// The most a connection's read buffer may hold: a head, and a chunked body's trailer,
// which Beast keeps whole in this buffer (so this bounds trailers too: a longer one fails
// the read instead of reaching Beast's own field limit, which throws). Body bytes pass
// through it.
inline size_t RequestBufferLimit(size_t header_limit) { return header_limit + (16 << 10); }

// The API's view of a parsed request from `remote`: its path and query percent-decoded,
// its header names in lower case. `ok` is false for a malformed target (bad escapes, NUL,
// a path that does not start with '/').
api::Request ConvertRequest(const boost::beast::http::request<boost::beast::http::string_body>& req,
                            const std::string& remote, bool& ok);

}  // namespace runlet::http
