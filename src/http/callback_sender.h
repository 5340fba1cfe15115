// Posts run results to users' callback URLs: http:// only, only to addresses the admin
// allowed (CIDR ranges; nothing by default), at most 3 attempts with backoff, on a
// background thread so that nobody waits for a slow receiver.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/error.h"

namespace runlet::http {

class CallbackSender {
 public:
  // `allowed`: CIDR ranges ("127.0.0.0/8", "10.1.2.0/24", "::1/128").
  explicit CallbackSender(std::vector<std::string> allowed);
  ~CallbackSender();

  // Checks a URL now (scheme, syntax, that its host resolves only to allowed addresses).
  Status Check(const std::string& url) const;
  // Queues a POST of `json_body` to `url`; failures are retried, then dropped.
  void Send(const std::string& url, std::string json_body);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace runlet::http
