// Failed password checks (logins, and anything else that asks for a password or a
// second factor), counted three ways so that guessing stays slow from one address or
// from many, while nobody can lock another person out:
// - per (account, address): after a few failures that pair waits, with a delay that
//   doubles up to minutes; other addresses of the same account are not affected;
// - per address, over every account: a larger allowance, then the same doubling delay
//   (one address trying many accounts);
// - per account, over every address: after many failures each further attempt waits a
//   few seconds at most (it slows distributed guessing; it never locks the owner out).
//   Addresses where the account has succeeded before skip it.
// Thread-safe; memory is bounded (old entries are forgotten).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "auth/throttle.h"

namespace runlet::auth {

class LoginGuard {
 public:
  using Clock = Throttle::Clock;
  struct Policy {
    Throttle::Policy pair;     // default: 5 free, then 30 s doubling to 15 min
    Throttle::Policy address;  // default: 100 free, then 30 s doubling to 15 min
    Throttle::Policy account;  // default: 20 free, then 1 s doubling to 30 s
  };
  static Policy Defaults();
  explicit LoginGuard(Policy policy = Defaults());

  // nullopt when an attempt for `account` from `address` may go ahead now; otherwise how
  // long to wait.
  std::optional<std::chrono::seconds> Check(const std::string& account, const std::string& address,
                                            Clock::time_point now = Clock::now());
  void Failure(const std::string& account, const std::string& address, Clock::time_point now = Clock::now());
  // Clears the pair; the address becomes a known one of the account.
  void Success(const std::string& account, const std::string& address, Clock::time_point now = Clock::now());

 private:
  static std::string PairKey(const std::string& account, const std::string& address) {
    return account + '\n' + address;
  }
  Policy policy_;
  Throttle by_pair_, by_address_, by_account_;
  std::mutex mu_;
  std::map<std::string, Clock::time_point> known_;  // PairKey -> last success
};

}  // namespace runlet::auth
