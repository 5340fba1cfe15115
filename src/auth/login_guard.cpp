#include "auth/login_guard.h"

#include <algorithm>

namespace runlet::auth {

LoginGuard::Policy LoginGuard::Defaults() {
  Policy p;
  p.pair.free_failures = 5;
  p.address.free_failures = 100;
  p.account.free_failures = 20;
  p.account.first_delay = std::chrono::seconds(1);
  p.account.max_delay = std::chrono::seconds(30);
  return p;
}

LoginGuard::LoginGuard(Policy policy)
    : policy_(policy), by_pair_(policy.pair), by_address_(policy.address), by_account_(policy.account) {}

std::optional<std::chrono::seconds> LoginGuard::Check(const std::string& account, const std::string& address,
                                                      Clock::time_point now) {
  std::optional<std::chrono::seconds> wait;
  auto longest = [&](std::optional<std::chrono::seconds> w) {
    if (w && (!wait || *w > *wait)) wait = w;
  };
  const std::string pair = PairKey(account, address);
  longest(by_pair_.Check(pair, now));
  longest(by_address_.Check(address, now));
  bool known = false;
  {
    std::lock_guard lock(mu_);
    auto it = known_.find(pair);
    known = it != known_.end() && now - it->second < policy_.account.forget_after;
  }
  if (!known) longest(by_account_.Check(account, now));
  return wait;
}

void LoginGuard::Failure(const std::string& account, const std::string& address, Clock::time_point now) {
  by_pair_.Failure(PairKey(account, address), now);
  by_address_.Failure(address, now);
  by_account_.Failure(account, now);
}

void LoginGuard::Success(const std::string& account, const std::string& address, Clock::time_point now) {
  const std::string pair = PairKey(account, address);
  by_pair_.Success(pair);
  std::lock_guard lock(mu_);
  if (known_.size() >= 100000) {
    std::erase_if(known_, [&](const auto& kv) { return now - kv.second >= policy_.account.forget_after; });
    if (known_.size() >= 100000) known_.clear();  // bounded: forgetting costs only a short wait
  }
  known_[pair] = now;
}

}  // namespace runlet::auth
