#include "platform/docker/engine_client.h"

#include <cerrno>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace runlet::platform::docker {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using Socket = asio::local::stream_protocol::socket;

constexpr uint64_t kMaxResponseBytes = 64ull << 20;
using std::chrono::milliseconds;

// Runs the operation started on `socket` until it completes or `timeout` passes; then
// the socket is closed (the operation ends with operation_aborted) and false returned.
bool RunWithin(asio::io_context& io, Socket& socket, milliseconds timeout) {
  io.restart();
  io.run_for(timeout);
  if (io.stopped()) return true;
  boost::system::error_code ignored;
  socket.close(ignored);
  io.restart();
  io.run();
  return false;
}

Error TimedOut(const std::string& what, milliseconds timeout, const std::string& path) {
  return Error{what + ": no answer within " + std::to_string(timeout.count()) + " ms (the engine at " + path +
                   " hangs or is overloaded)",
               ETIMEDOUT, ErrorKind::kUnavailable};
}

Result<Socket> Connect(asio::io_context& io, const std::string& path, milliseconds timeout) {
  Socket socket(io);
  boost::system::error_code ec;
  socket.async_connect(asio::local::stream_protocol::endpoint(path), [&](boost::system::error_code e) { ec = e; });
  if (!RunWithin(io, socket, timeout)) return tl::unexpected(TimedOut("connect to the engine", timeout, path));
  if (ec) {
    return Fail("cannot connect to the engine at " + path + ": " + ec.message() +
                    " (is it running? scripts/start-docker starts Docker)",
                ec.value());
  }
  return socket;
}

http::verb Verb(std::string_view method) {
  const http::verb verb = http::string_to_verb(method);
  return verb == http::verb::unknown ? http::verb::get : verb;
}

template <class Body>
void SetCommonFields(http::request<Body>& req, std::string_view content_type) {
  req.set(http::field::host, "docker");
  req.set(http::field::user_agent, "runlet");
  if (!content_type.empty()) req.set(http::field::content_type, content_type);
}

// Sends `req` and reads the whole answer, both within `timeout`.
template <class Request>
Result<EngineResponse> Exchange(const std::string& socket_path, Request& req, const EngineTimeouts& timeouts,
                                milliseconds timeout) {
  asio::io_context io;
  auto socket = Connect(io, socket_path, timeouts.connect);
  if (!socket) return tl::unexpected(socket.error());
  const std::string what = "engine request " + std::string(req.target());
  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBytes);
  boost::system::error_code write_ec, read_ec;
  http::async_write(*socket, req, [&](boost::system::error_code e, size_t) {
    write_ec = e;
    if (!e) http::async_read(*socket, buffer, parser, [&](boost::system::error_code r, size_t) { read_ec = r; });
  });
  if (!RunWithin(io, *socket, timeout)) return tl::unexpected(TimedOut(what, timeout, socket_path));
  if (write_ec) return Fail(what + ": write: " + write_ec.message(), write_ec.value());
  if (read_ec) return Fail(what + ": read: " + read_ec.message(), read_ec.value());
  EngineResponse out;
  out.status = static_cast<int>(parser.get().result_int());
  out.body = std::move(parser.get().body());
  return out;
}

}  // namespace

EngineClient::EngineClient(std::string socket_path, std::string api_version, EngineTimeouts timeouts)
    : socket_path_(std::move(socket_path)), prefix_("/" + std::move(api_version)), timeouts_(timeouts) {}

Result<EngineResponse> EngineClient::Request(std::string_view method, const std::string& target,
                                             const std::string& body, std::string_view content_type) const {
  http::request<http::string_body> req{Verb(method), prefix_ + target, 11};
  SetCommonFields(req, body.empty() ? std::string_view() : content_type);
  req.body() = body;
  req.prepare_payload();
  return Exchange(socket_path_, req, timeouts_, timeouts_.request);
}

Result<EngineResponse> EngineClient::RequestWithFileBody(std::string_view method, const std::string& target,
                                                         const std::string& file, std::string_view content_type) const {
  http::request<http::file_body> req{Verb(method), prefix_ + target, 11};
  SetCommonFields(req, content_type);
  boost::system::error_code ec;
  req.body().open(file.c_str(), boost::beast::file_mode::scan, ec);
  if (ec) return Fail("open " + file + ": " + ec.message(), ec.value());
  req.prepare_payload();
  return Exchange(socket_path_, req, timeouts_, timeouts_.upload);
}

Result<HijackedStream> EngineClient::Hijack(std::string_view method, const std::string& target,
                                            const std::string& body) const {
  return OpenStream(method, target, body, true);
}

Result<HijackedStream> EngineClient::Stream(std::string_view method, const std::string& target) const {
  return OpenStream(method, target, {}, false);
}

Result<HijackedStream> EngineClient::OpenStream(std::string_view method, const std::string& target,
                                                const std::string& body, bool upgrade) const {
  asio::io_context io;
  auto socket = Connect(io, socket_path_, timeouts_.connect);
  if (!socket) return tl::unexpected(socket.error());
  // Without an upgrade, HTTP/1.0: the engine then sends the body as it comes, unchunked,
  // and closes the connection at its end.
  http::request<http::string_body> req{Verb(method), prefix_ + target, upgrade ? 11 : 10};
  SetCommonFields(req, "application/json");
  if (upgrade) {
    req.set(http::field::connection, "Upgrade");
    req.set(http::field::upgrade, "tcp");
  }
  req.body() = body;
  req.prepare_payload();
  const std::string what = "engine request " + target;
  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBytes);
  boost::system::error_code write_ec, read_ec;
  http::async_write(*socket, req, [&](boost::system::error_code e, size_t) {
    write_ec = e;
    if (!e) http::async_read_header(*socket, buffer, parser, [&](boost::system::error_code r, size_t) { read_ec = r; });
  });
  if (!RunWithin(io, *socket, timeouts_.request)) return tl::unexpected(TimedOut(what, timeouts_.request, socket_path_));
  if (write_ec) return Fail(what + ": write: " + write_ec.message(), write_ec.value());
  if (read_ec) return Fail(what + ": read: " + read_ec.message(), read_ec.value());
  const int status = static_cast<int>(parser.get().result_int());
  if (status != 101 && status != 200) {
    // An error answer has an ordinary body: read it for the engine's message.
    http::async_read(*socket, buffer, parser, [&](boost::system::error_code r, size_t) { read_ec = r; });
    if (!RunWithin(io, *socket, timeouts_.request)) return tl::unexpected(TimedOut(what, timeouts_.request, socket_path_));
    return tl::unexpected(EngineError(what, {status, parser.get().body()}));
  }
  HijackedStream out;
  const auto data = buffer.data();
  out.pending.assign(static_cast<const char*>(data.data()), data.size());
  boost::system::error_code ec;
  out.fd.Reset(socket->release(ec));
  if (ec) return Fail("engine request " + target + ": release the socket: " + ec.message(), ec.value());
  return out;
}

Error ApiError(std::string_view what, int status, const std::string& body) {
  std::string message = body;
  boost::system::error_code ec;
  auto doc = boost::json::parse(body, ec);
  if (!ec && doc.is_object()) {
    if (const auto* m = doc.as_object().if_contains("message"); m && m->is_string()) message = m->as_string().c_str();
  }
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  Error e{std::string(what) + ": " + message + " (HTTP " + std::to_string(status) + ")"};
  if (status == 404) e.kind = ErrorKind::kNotFound;
  if (status == 409) e.kind = ErrorKind::kConflict;
  if (status == 401) e.kind = ErrorKind::kUnauthorized;
  if (status == 403) e.kind = ErrorKind::kForbidden;
  return e;
}

Error EngineError(std::string_view what, const EngineResponse& response) {
  return ApiError(what, response.status, response.body);
}

std::string UrlEncode(std::string_view text) {
  // Everything but RFC 3986's unreserved characters, as %XX.
  return boost::urls::encode(text, boost::urls::unreserved_chars);
}

}  // namespace runlet::platform::docker
