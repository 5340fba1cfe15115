// Login throttling: after `free_failures` failed attempts for one key (an account name,
// a remote address), further attempts are refused for a delay that doubles with each
// failure, up to `max_delay`. A success clears the key. Thread-safe; memory is bounded
// by forgetting keys whose last failure is older than `forget_after`, and by a cap on keys.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace runlet::auth {

class Throttle {
 public:
  using Clock = std::chrono::steady_clock;
  struct Policy {
    int free_failures = 5;
    std::chrono::seconds first_delay{30};
    std::chrono::seconds max_delay{15 * 60};
    std::chrono::seconds forget_after{24 * 3600};
    // Beyond this many keys, the ones not blocked now are forgotten, then all of them.
    size_t max_keys = 100000;
  };
  explicit Throttle(Policy policy) : policy_(policy) {}

  // nullopt when an attempt for `key` may go ahead now; otherwise how long to wait.
  std::optional<std::chrono::seconds> Check(const std::string& key, Clock::time_point now = Clock::now());
  void Failure(const std::string& key, Clock::time_point now = Clock::now());
  void Success(const std::string& key);

 private:
  struct Entry {
    int failures = 0;
    Clock::time_point last_failure;
    Clock::time_point blocked_until;
  };
  void Forget(Clock::time_point now);
  Policy policy_;
  std::mutex mu_;
  std::map<std::string, Entry> entries_;
  Clock::time_point last_sweep_;
};

}  // namespace runlet::auth
