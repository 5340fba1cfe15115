#include "api/rate_limiter.h"

#include <cmath>

namespace runlet::api {

bool RateLimiter::Allow(const std::string& key, std::chrono::seconds& retry_after) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  if (buckets_.size() > 100000) buckets_.clear();  // bounded memory under address floods
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!fresh) {
    const double elapsed = std::chrono::duration<double>(now - b.updated).count();
    b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
    b.updated = now;
  }
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return true;
  }
  retry_after = std::chrono::seconds(static_cast<long>(std::ceil((1 - b.tokens) / rate_)));
  return false;
}

}  // namespace runlet::api
