// The API's view of HTTP: plain requests and responses, no Beast types. Handlers are
// functions from a Request to a Response; the http/ layer does the I/O.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "store/records.h"

namespace runlet::api {

// Who sent a request, once authenticated (api/accounts.cpp).
struct Principal {
  int64_t user_id = 0;
  std::string username;
  std::string role;           // "user" or "admin"
  std::string credential_id;  // the session's or token's id
  std::string kind;           // "session" (cookie) or "token" (Bearer)
  store::Quota quota;         // the user's own (0 fields: the server's default)
  bool admin() const { return role == "admin"; }
};

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // decoded, without the query
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string remote_address;  // the connection's peer
  // Set by the guard: the client's address (X-Forwarded-For believed only from trusted
  // proxies), and whether a trusted proxy says the client used https.
  std::string client_address;
  bool forwarded_https = false;
  std::map<std::string, std::string> params;  // from the route pattern: {id}, {path}
  std::optional<Principal> principal;         // set by the guard for authenticated requests

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
  std::string Query(const std::string& name, const std::string& fallback = {}) const {
    auto it = query.find(name);
    return it == query.end() ? fallback : it->second;
  }
};

// A server-sent event stream, pulled by the http layer: it calls Next() until done,
// and waits between calls until Wake is called (or a heartbeat is due).
class EventSource {
 public:
  virtual ~EventSource() = default;
  struct Chunk {
    std::string text;   // zero or more complete SSE events
    bool done = false;  // nothing will follow
  };
  virtual Chunk Next() = 0;
  // `wake` may be called from any thread, any number of times.
  virtual void SetWake(std::function<void()> wake) = 0;
};

// A WebSocket conversation: the http layer pulls outgoing text messages with Next()
// (waiting between calls until Wake) and hands over each incoming text message.
class MessageChannel {
 public:
  virtual ~MessageChannel() = default;
  struct Message {
    Message(std::string text) : data(std::move(text)) {}
    Message(const char* text) : data(text) {}
    Message(std::string bytes, bool is_binary) : data(std::move(bytes)), binary(is_binary) {}
    std::string data;
    bool binary = false;  // a binary frame (raw bytes) rather than a text one
  };
  struct Batch {
    std::vector<Message> messages;
    bool done = false;  // close after these
  };
  virtual Batch Next() = 0;
  virtual void SetWake(std::function<void()> wake) = 0;
  virtual void OnMessage(std::string_view text) = 0;
  // An incoming binary message; ignored unless the channel takes them.
  virtual void OnBinary(std::string_view) {}
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  // When set, the response comes later: the http layer calls it with a function that
  // delivers the response (from any thread, exactly once).
  std::function<void(std::function<void(Response)>)> deferred;
  // When set, the response is an event stream (status 200, text/event-stream).
  std::shared_ptr<EventSource> events;
  // When set, the request is upgraded to a WebSocket served by this channel.
  std::shared_ptr<MessageChannel> websocket;
};

Response Json(int status, std::string body);
// {"error": code, "message": text} with the status that fits the error's kind.
Response ErrorResponse(const Error& error);
Response ErrorResponse(int status, const std::string& code, const std::string& message);
int StatusForKind(ErrorKind kind);

}  // namespace runlet::api
