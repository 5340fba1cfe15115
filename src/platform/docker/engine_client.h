// A client of the Docker Engine API (which Podman's service speaks too) over its unix
// socket: synchronous HTTP/1.1 requests with Boost.Beast, one connection per request, so
// one client may be used by several threads at once.
//
// Every call blocks the calling thread until the engine answers, or for at most its
// timeouts (EngineTimeouts): a hung engine fails the call, it never holds a thread for
// good. Errors are failures to talk to the engine at all (no socket, a broken
// connection, no answer in time (sys_errno ETIMEDOUT), an unparsable answer); an answer
// with an HTTP error status is a response, and `EngineError` makes it an error carrying
// the engine's own message.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/unique_fd.h"

namespace runlet::platform::docker {

struct EngineResponse {
  int status = 0;
  std::string body;
  bool ok() const { return status >= 200 && status < 300; }
};

// An upgraded ("hijacked") connection: after the engine's 101 (or 200) answer, the socket
// carries the raw stream of an attach or exec start. `pending` holds stream bytes that
// arrived with the answer's header and were already read.
struct HijackedStream {
  UniqueFd fd;
  std::string pending;
};

struct EngineTimeouts {
  std::chrono::milliseconds connect{5000};   // the socket's connection (a full backlog)
  std::chrono::milliseconds request{60000};  // sending a request and reading all its answer
  // A request with a file body (an image import of gigabytes): its sending and answer.
  std::chrono::milliseconds upload{30 * 60 * 1000};
};

// A health check's (DockerPlatform::Check): an engine that does not answer within
// seconds is reported unhealthy in seconds, not after the minute a real request may take.
inline constexpr EngineTimeouts kHealthTimeouts{std::chrono::milliseconds(1000), std::chrono::milliseconds(2000),
                                                std::chrono::milliseconds(2000)};

class EngineClient {
 public:
  // `socket_path`: /var/run/docker.sock, or Podman's /run/podman/podman.sock.
  // `api_version`: the prefix of every path ("v1.41", the API of Docker 20.10, which
  // Podman 4 implements as well).
  explicit EngineClient(std::string socket_path, std::string api_version = "v1.41", EngineTimeouts timeouts = {});

  const std::string& socket_path() const { return socket_path_; }
  const EngineTimeouts& timeouts() const { return timeouts_; }

  // `target` is the path and query after the version ("/containers/json?all=1").
  Result<EngineResponse> Request(std::string_view method, const std::string& target, const std::string& body = {},
                                 std::string_view content_type = "application/json") const;
  // The same with a body read from a file (image imports of gigabytes, never in memory).
  Result<EngineResponse> RequestWithFileBody(std::string_view method, const std::string& target,
                                             const std::string& file, std::string_view content_type) const;
  // Sends the request asking for a connection upgrade and returns the stream after the
  // answer's header (within the request timeout; the stream itself has none: its reader
  // polls it with its own deadlines); an answer other than 101 or 200 is an error with
  // its message.
  Result<HijackedStream> Hijack(std::string_view method, const std::string& target, const std::string& body) const;
  // A request whose answer is a stream that may never end (logs with follow=1): its
  // header within the request timeout, then the raw body on `fd` until the engine closes.
  Result<HijackedStream> Stream(std::string_view method, const std::string& target) const;

 private:
  Result<HijackedStream> OpenStream(std::string_view method, const std::string& target, const std::string& body,
                                    bool upgrade) const;
  std::string socket_path_;
  std::string prefix_;
  EngineTimeouts timeouts_;
};

// "docker engine: <what>: <message from the engine's JSON body> (HTTP <status>)".
Error EngineError(std::string_view what, const EngineResponse& response);

// Percent-encodes `text` for a query string.
std::string UrlEncode(std::string_view text);

// An HTTP API's error answer as an Error: `what`, the JSON body's "message" (Docker's,
// Podman's and Kubernetes' Status all carry one) or the body, and the status; 401, 403,
// 404 and 409 set the kind.
Error ApiError(std::string_view what, int status, const std::string& body);

}  // namespace runlet::platform::docker
