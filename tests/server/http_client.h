// A small synchronous HTTP/1.1 client for the server tests (Boost.Beast over loopback):
// one connection per request, every operation bounded by a timeout, and a server-sent
// events reader that hands out events one at a time as they arrive.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace runlet::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Headers every request and event stream of this process carries unless the caller gives
// the same field (the fixture's login: Authorization: Bearer <token>). Not thread-safe:
// set it between requests.
Headers& DefaultHeaders();

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;

  // The header's value, or "" when absent.
  std::string Header(const std::string& lower_name) const;
  // The body parsed as JSON; a JSON null when it is not JSON. The value lives as long
  // as the response (so `r.Json().as_array()` may be kept).
  const boost::json::value& Json() const;

 private:
  mutable std::shared_ptr<boost::json::value> parsed_;
  mutable std::string parsed_body_;
};

class HttpClient {
 public:
  explicit HttpClient(unsigned short port, std::chrono::milliseconds timeout = std::chrono::seconds(60))
      : port_(port), timeout_(timeout) {}

  // Sends one request on a new connection and reads the response. The request is
  // written while the response is read, so a server that answers early (413) and
  // closes is still heard. Throws std::runtime_error on connection errors and timeouts.
  HttpResponse Request(const std::string& method, const std::string& target, const std::string& body = {},
                       const Headers& headers = {}) const;
  HttpResponse Get(const std::string& target, const Headers& headers = {}) const {
    return Request("GET", target, {}, headers);
  }
  HttpResponse Post(const std::string& target, const std::string& body = {}) const {
    return Request("POST", target, body, {{"Content-Type", "application/json"}});
  }
  HttpResponse Put(const std::string& target, const std::string& body) const {
    return Request("PUT", target, body, {{"Content-Type", "application/octet-stream"}});
  }
  HttpResponse Delete(const std::string& target) const { return Request("DELETE", target); }

  // Writes `bytes` as they are on a new connection and reads one response (for
  // malformed requests). Throws like Request.
  HttpResponse SendRaw(const std::string& bytes) const;

  unsigned short port() const { return port_; }

 private:
  unsigned short port_;
  std::chrono::milliseconds timeout_;
};

struct SseEvent {
  std::string id;     // "" when the event has no id: field
  std::string event;  // "message" when the event has no event: field
  std::string data;   // data: lines joined with '\n'
};

// A GET of an event stream, read incrementally. Comments (": ping") are skipped.
class SseStream {
 public:
  // Connects and reads the response head; throws std::runtime_error on failure.
  SseStream(unsigned short port, const std::string& target, const Headers& headers = {},
            std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~SseStream();
  SseStream(const SseStream&) = delete;
  SseStream& operator=(const SseStream&) = delete;

  int status() const { return status_; }
  std::string Header(const std::string& lower_name) const;
  // The whole body of a response that is not an event stream (an error).
  const std::string& error_body() const { return error_body_; }

  // The next event, waiting at most `timeout`; nullopt on timeout or once the server
  // has closed the stream (then closed() is true).
  std::optional<SseEvent> Next(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  bool closed() const { return closed_; }

 private:
  std::optional<SseEvent> TakeEvent();
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::socket socket_;
  int status_ = 0;
  std::map<std::string, std::string> headers_;
  std::string error_body_;
  std::string pending_;  // received bytes not yet made into events
  bool closed_ = false;
};

// A WebSocket client (text messages), connected in the constructor. Operations are
// synchronous; Read waits at most `timeout`. Throws std::runtime_error on failures.
class WebSocketClient {
 public:
  WebSocketClient(unsigned short port, const std::string& target, const Headers& headers = {});
  ~WebSocketClient();
  WebSocketClient(const WebSocketClient&) = delete;
  WebSocketClient& operator=(const WebSocketClient&) = delete;

  void Send(const std::string& text);
  // The next message; nullopt on timeout or once the server has closed.
  std::optional<std::string> Read(std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace runlet::testing
