#include "auth/throttle.h"

#include <algorithm>

namespace runlet::auth {

std::optional<std::chrono::seconds> Throttle::Check(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.blocked_until <= now) return std::nullopt;
  auto left = std::chrono::ceil<std::chrono::seconds>(it->second.blocked_until - now);
  return std::max(left, std::chrono::seconds(1));
}

void Throttle::Failure(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mu_);
  Forget(now);
  Entry& e = entries_[key];
  ++e.failures;
  e.last_failure = now;
  const int over = e.failures - policy_.free_failures;
  if (over > 0) {
    auto delay = policy_.first_delay;
    for (int i = 1; i < over && delay < policy_.max_delay; ++i) delay *= 2;
    e.blocked_until = now + std::min(delay, policy_.max_delay);
  }
}

void Throttle::Success(const std::string& key) {
  std::lock_guard lock(mu_);
  entries_.erase(key);
}

void Throttle::Forget(Clock::time_point now) {
  if (entries_.size() >= policy_.max_keys) {
    std::erase_if(entries_, [&](const auto& kv) { return kv.second.blocked_until <= now; });
    if (entries_.size() >= policy_.max_keys) entries_.clear();
  }
  if (now - last_sweep_ < std::chrono::minutes(1)) return;
  last_sweep_ = now;
  std::erase_if(entries_, [&](const auto& kv) {
    return kv.second.blocked_until <= now && now - kv.second.last_failure > policy_.forget_after;
  });
}

}  // namespace runlet::auth
