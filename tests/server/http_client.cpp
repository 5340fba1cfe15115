#include "http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>
#include <functional>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace runlet::testing {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Starts asynchronous operations on `socket` with `start` and runs `ioc` until
// `finished()`; once `timeout` has passed, the socket's operations are cancelled (the
// socket stays open). Returns true when the deadline cancelled something.
bool RunWithDeadline(asio::io_context& ioc, tcp::socket& socket, std::chrono::milliseconds timeout,
                     const std::function<void()>& start, const std::function<bool()>& finished) {
  bool timed_out = false;
  asio::steady_timer timer(ioc);
  timer.expires_after(timeout);
  timer.async_wait([&](const error_code& ec) {
    if (ec) return;
    timed_out = true;
    error_code ignored;
    socket.cancel(ignored);
  });
  start();
  ioc.restart();
  while (!finished() && ioc.run_one() > 0) {
  }
  timer.cancel();
  ioc.run();  // the cancelled timer, and operations cancelled on the way
  return timed_out;
}

void Connect(asio::io_context& ioc, tcp::socket& socket, unsigned short port, std::chrono::milliseconds timeout) {
  error_code result = asio::error::would_block;
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  bool done = false;
  asio::steady_timer timer(ioc);
  timer.expires_after(timeout);
  bool timed_out = false;
  timer.async_wait([&](const error_code& ec) {
    if (!ec && !done) {
      timed_out = true;
      error_code ignored;
      socket.close(ignored);
    }
  });
  socket.async_connect(endpoint, [&](const error_code& ec) {
    result = ec;
    done = true;
    timer.cancel();
  });
  ioc.restart();
  ioc.run();
  if (timed_out) throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + ": timed out");
  if (result) throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + ": " + result.message());
}

HttpResponse FromBeast(const bhttp::response<bhttp::string_body>& res) {
  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    // Repeated fields (Set-Cookie) are joined with ", ".
    std::string& value = out.headers[Lower(std::string(field.name_string()))];
    value += (value.empty() ? "" : ", ") + std::string(field.value());
  }
  out.body = res.body();
  return out;
}

}  // namespace

std::string HttpResponse::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

const boost::json::value& HttpResponse::Json() const {
  if (!parsed_ || parsed_body_ != body) {
    error_code ec;
    auto v = boost::json::parse(body, ec);
    parsed_ = std::make_shared<boost::json::value>(ec ? boost::json::value(nullptr) : std::move(v));
    parsed_body_ = body;
  }
  return *parsed_;
}

Headers& DefaultHeaders() {
  static Headers headers;
  return headers;
}

namespace {
template <class Body>
void SetHeaders(bhttp::request<Body>& req, const Headers& headers) {
  for (const auto& [name, value] : DefaultHeaders()) {
    bool given = false;
    for (const auto& h : headers) given = given || boost::beast::iequals(h.first, name);
    if (!given) req.set(name, value);
  }
  for (const auto& [name, value] : headers) req.set(name, value);
}
}  // namespace

HttpResponse HttpClient::Request(const std::string& method, const std::string& target, const std::string& body,
                                 const Headers& headers) const {
  bhttp::request<bhttp::string_body> req;
  const auto verb = bhttp::string_to_verb(method);
  if (verb == bhttp::verb::unknown) {
    req.method_string(method);
  } else {
    req.method(verb);
  }
  req.target(target);
  req.version(11);
  req.set(bhttp::field::host, "127.0.0.1:" + std::to_string(port_));
  req.set(bhttp::field::user_agent, "runlet-server-tests");
  req.set(bhttp::field::connection, "close");
  SetHeaders(req, headers);
  req.body() = body;
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") req.prepare_payload();
  std::ostringstream text;
  text << req;
  auto response = SendRaw(text.str());
  return response;
}

HttpResponse HttpClient::SendRaw(const std::string& bytes) const {
  asio::io_context ioc;
  tcp::socket socket(ioc);
  Connect(ioc, socket, port_, timeout_);

  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  // A HEAD response has a Content-Length but no body.
  if (bytes.rfind("HEAD ", 0) == 0) parser.skip(true);
  beast::flat_buffer buffer;
  error_code write_ec, read_ec;
  bool read_done = false;
  const bool timed_out = RunWithDeadline(ioc, socket, timeout_, [&] {
    asio::async_write(socket, asio::buffer(bytes), [&](const error_code& ec, size_t) { write_ec = ec; });
    bhttp::async_read(socket, buffer, parser, [&](const error_code& ec, size_t) {
      read_ec = ec;
      read_done = true;
      // The answer is in: a write still going (a refused large body) can stop.
      error_code ignored;
      socket.cancel(ignored);
    });
  }, [&] { return read_done; });
  const std::string what = bytes.substr(0, std::min(bytes.find('\r'), size_t{80}));
  if (timed_out && !read_done) throw std::runtime_error(what + ": no response within the timeout");
  if (read_ec) {
    throw std::runtime_error(what + ": reading the response: " + read_ec.message() +
                             (write_ec ? " (writing the request: " + write_ec.message() + ")" : ""));
  }
  return FromBeast(parser.get());
}

SseStream::SseStream(unsigned short port, const std::string& target, const Headers& headers,
                     std::chrono::milliseconds timeout)
    : socket_(ioc_) {
  tcp::socket& socket = socket_;
  Connect(ioc_, socket, port, timeout);
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, target, 11};
  req.set(bhttp::field::host, "127.0.0.1:" + std::to_string(port));
  req.set(bhttp::field::accept, "text/event-stream");
  SetHeaders(req, headers);
  std::ostringstream text;
  text << req;
  const std::string request = text.str();

  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  beast::flat_buffer buffer;
  error_code write_ec, read_ec;
  bool read_done = false;
  const bool timed_out = RunWithDeadline(ioc_, socket, timeout, [&] {
    asio::async_write(socket, asio::buffer(request), [&](const error_code& ec, size_t) { write_ec = ec; });
    bhttp::async_read_header(socket, buffer, parser, [&](const error_code& ec, size_t) {
      read_ec = ec;
      read_done = true;
    });
  }, [&] { return read_done; });
  if (timed_out && !read_done) throw std::runtime_error("GET " + target + ": no response head within the timeout");
  if (read_ec) throw std::runtime_error("GET " + target + ": reading the response head: " + read_ec.message());
  const auto& head = parser.get();
  status_ = static_cast<int>(head.result_int());
  for (const auto& field : head) headers_[Lower(std::string(field.name_string()))] = std::string(field.value());
  if (status_ != 200 || Header("content-type").rfind("text/event-stream", 0) != 0) {
    // An ordinary response: read its body.
    bool body_done = false;
    RunWithDeadline(ioc_, socket, timeout, [&] {
      bhttp::async_read(socket, buffer, parser, [&](const error_code& ec, size_t) {
        read_ec = ec;
        body_done = true;
      });
    }, [&] { return body_done; });
    error_body_ = parser.get().body();
    closed_ = true;
    return;
  }
  // The rest of the buffer is the start of the stream.
  const auto data = buffer.data();
  pending_.assign(static_cast<const char*>(data.data()), data.size());
}

SseStream::~SseStream() {
  error_code ignored;
  socket_.close(ignored);
}

std::string SseStream::Header(const std::string& lower_name) const {
  auto it = headers_.find(lower_name);
  return it == headers_.end() ? std::string() : it->second;
}

std::optional<SseEvent> SseStream::TakeEvent() {
  for (;;) {
    const size_t end = pending_.find("\n\n");
    if (end == std::string::npos) return std::nullopt;
    const std::string block = pending_.substr(0, end);
    pending_.erase(0, end + 2);
    SseEvent event;
    bool has_field = false;
    size_t start = 0;
    while (start <= block.size()) {
      size_t nl = block.find('\n', start);
      if (nl == std::string::npos) nl = block.size();
      const std::string line = block.substr(start, nl - start);
      start = nl + 1;
      if (line.empty() || line[0] == ':') continue;  // a comment
      const size_t colon = line.find(':');
      const std::string name = line.substr(0, colon);
      std::string value = colon == std::string::npos ? std::string() : line.substr(colon + 1);
      if (!value.empty() && value[0] == ' ') value.erase(0, 1);
      has_field = true;
      if (name == "id") {
        event.id = value;
      } else if (name == "event") {
        event.event = value;
      } else if (name == "data") {
        event.data += (event.data.empty() ? "" : "\n") + value;
      }
    }
    if (!has_field) continue;  // only comments: a heartbeat or the greeting
    if (event.event.empty()) event.event = "message";
    return event;
  }
}

std::optional<SseEvent> SseStream::Next(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto event = TakeEvent()) return event;
    if (closed_) return std::nullopt;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    char chunk[16384];
    size_t got = 0;
    error_code read_ec;
    bool done = false;
    tcp::socket& socket = socket_;
    const bool timed_out = RunWithDeadline(ioc_, socket, left, [&] {
      socket.async_read_some(asio::buffer(chunk), [&](const error_code& ec, size_t n) {
        read_ec = ec;
        got = n;
        done = true;
      });
    }, [&] { return done; });
    pending_.append(chunk, got);
    if (read_ec) {
      if (timed_out && read_ec == asio::error::operation_aborted) continue;  // the deadline check ends it
      closed_ = true;
    }
  }
}

struct WebSocketClient::Impl {
  asio::io_context ioc;
  beast::websocket::stream<tcp::socket> ws{ioc};
  beast::flat_buffer buffer;
  bool closed = false;
};

WebSocketClient::WebSocketClient(unsigned short port, const std::string& target, const Headers& headers)
    : impl_(std::make_unique<Impl>()) {
  Connect(impl_->ioc, impl_->ws.next_layer(), port, std::chrono::seconds(10));
  Headers all = headers;
  for (const auto& [name, value] : DefaultHeaders()) {
    bool given = false;
    for (const auto& h : headers) given = given || boost::beast::iequals(h.first, name);
    if (!given) all.emplace_back(name, value);
  }
  impl_->ws.set_option(beast::websocket::stream_base::decorator([all](beast::websocket::request_type& req) {
    for (const auto& [name, value] : all) req.set(name, value);
  }));
  error_code ec;
  impl_->ws.handshake("127.0.0.1:" + std::to_string(port), target, ec);
  if (ec) throw std::runtime_error("WebSocket " + target + ": " + ec.message());
  impl_->ws.text(true);
}

WebSocketClient::~WebSocketClient() {
  error_code ignored;
  impl_->ws.next_layer().close(ignored);
}

void WebSocketClient::Send(const std::string& text) {
  error_code ec;
  impl_->ws.write(asio::buffer(text), ec);
  if (ec) throw std::runtime_error("WebSocket write: " + ec.message());
}

std::optional<std::string> WebSocketClient::Read(std::chrono::milliseconds timeout) {
  if (impl_->closed) return std::nullopt;
  bool done = false;
  error_code read_ec;
  RunWithDeadline(impl_->ioc, impl_->ws.next_layer(), timeout, [&] {
    impl_->ws.async_read(impl_->buffer, [&](const error_code& ec, size_t) {
      read_ec = ec;
      done = true;
    });
  }, [&] { return done; });
  if (!done || read_ec) {
    // A cancelled read leaves the stream unusable: later reads find it closed.
    impl_->closed = true;
    return std::nullopt;
  }
  std::string text = beast::buffers_to_string(impl_->buffer.data());
  impl_->buffer.consume(impl_->buffer.size());
  return text;
}

}  // namespace runlet::testing
