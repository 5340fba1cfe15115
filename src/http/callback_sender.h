// Posts run results to users' callback URLs: http:// only, only to addresses the admin
// allowed (CIDR ranges; nothing by default), at most a few attempts with backoff.
//
// Nobody waits for anybody else's receiver: deliveries run on the sender's own threads,
// several at once, with at most `per_user_running` of one user's and `per_target_running`
// to one host:port at a time; each user may have `per_user_pending` callbacks accepted
// and not yet done, everyone together `total_pending` (beyond: a clear error when the
// request arrives). Names are resolved on those threads, never on the HTTP threads.
//
// Which addresses: every address a name resolves to must be allowed, and the request
// goes to one of those checked addresses (a DNS answer that changes later redirects
// nothing). Loopback, unspecified, link-local, multicast and reserved addresses (in any
// form: IPv4-mapped IPv6, NAT64, 6to4...) and this machine's own addresses are never
// called unless an allowed range lies inside them (`127.0.0.1/32` allows loopback;
// `0.0.0.0/0` does not), the machine's own addresses only when listed one by one, and
// the server's own port on them never.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ip_address.h"

namespace runlet::http {

struct CallbackOptions {
  std::vector<Cidr> allowed;  // nothing: callbacks are refused
  unsigned short own_port = 0;  // the server's port, never called on its own addresses
  int threads = 8;
  int per_target_running = 2;
  int per_user_running = 2;
  size_t per_user_pending = 100;
  size_t total_pending = 2000;
  int attempts = 3;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{10000};  // writing the request, reading the answer
  std::chrono::milliseconds first_retry{1000};       // doubles with each attempt
};

class CallbackSender {
 public:
  explicit CallbackSender(CallbackOptions options);
  ~CallbackSender();  // Stop()

  // Checks `url` (an http:// URL whose host resolves only to allowed addresses) and keeps
  // a place for one callback of `user`. `done` gets a ticket, or an error: kInvalid,
  // kForbidden (an address not allowed), kTooMany (the user's callbacks are full),
  // kUnavailable (everyone's are, or the sender stopped). It is called on a sender
  // thread once the name is resolved, or at once when no name needs resolving to fail.
  void Admit(const std::string& url, int64_t user, std::function<void(Result<uint64_t> ticket)> done);
  // Posts `json_body` to the ticket's URL (resolved and checked again); failures are
  // retried, then dropped. The ticket's place is free once it is done. `put`: with PUT
  // instead of POST (Judge0's callbacks).
  void Send(uint64_t ticket, std::string json_body, bool put = false);
  // Frees a ticket's place without sending anything.
  void Release(uint64_t ticket);
  // Ends the threads (a delivery under way ends within its timeouts); admissions not
  // yet resolved are dropped without calling their `done`. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace runlet::http
