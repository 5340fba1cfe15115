// Token buckets per key (a user, an address): `rate` requests a second on average,
// bursts up to `burst`. Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

namespace runlet::api {

class RateLimiter {
 public:
  RateLimiter(double rate, double burst) : rate_(rate), burst_(burst) {}
  // True if a request for `key` may go ahead now; otherwise `retry_after` says when.
  bool Allow(const std::string& key, std::chrono::seconds& retry_after);

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point updated;
  };
  double rate_, burst_;
  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace runlet::api
