// The platforms one server holds at once ("native", "docker", "gvisor", ...): each made
// by its factory on first use, one of them the default, and the choice for a job: the
// platform its runtime names, else the default. The default changes at run time (the
// admin API); a run keeps the platform it was given when it was queued.
//
// Thread-safe, and no lock is held while a platform is made or checked. Get() may block
// while a platform is being made (an engine's ping and clean-up at start), and only
// callers of that platform wait for it; SetDefault() after a health check; Describe()
// after the health checks of every platform that has been made, run at once (so as long
// as the slowest one: a hung engine's Check() gives up within its short timeouts);
// everything else returns at once.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "platform/platform.h"

namespace runlet::platform {

struct PlatformInfo {
  std::string name;
  bool is_default = false;
  bool started = false;  // made: its engine answered once
  Health health;         // of a started one; why it could not be made otherwise
};

class PlatformSet {
 public:
  using Factory = std::function<Result<std::unique_ptr<Platform>>()>;

  // Add: at set-up, before the set is shared.
  // Configures `name`, made by `make` on first use. The first one added is the default
  // until SetDefault. Adding a name twice replaces its factory (if not yet made).
  void Add(const std::string& name, Factory make);
  // Configures an already made platform under its Name().
  void Add(std::unique_ptr<Platform> platform);

  bool Has(const std::string& name) const;
  std::vector<std::string> Names() const;  // in the order they were added
  std::string DefaultName() const;

  // Makes `name` the default, starting it first: kNotFound if it is not configured,
  // kUnavailable (with the engine's error) if it cannot be started or is not healthy.
  Status SetDefault(const std::string& name);

  // Which platform a job of a runtime that asks for `wanted` ("" = no preference) runs
  // on: `wanted` if configured, else the default. kNotFound if `wanted` is not one of
  // this set's platforms.
  Result<std::string> Choose(const std::string& wanted) const;

  // The platform `name`, made now if it was not yet. kNotFound if not configured,
  // kUnavailable if making it failed (a later call tries again).
  Result<Platform*> Get(const std::string& name);

  // Every configured platform, with the health of those that have been made.
  std::vector<PlatformInfo> Describe();

  // Makes every configured platform not made yet, one after the other on a thread of the
  // set's own (a server's start): each platform's start removes what this machine's dead
  // runlet processes left in its engine (containers, volumes, services), so that no
  // leftover waits for the platform's first use. One that cannot start is left for a
  // later Get. Returns at once; the destructor waits for the thread (each start is
  // bounded by its engine client's timeouts).
  void StartAllInBackground();
  ~PlatformSet();

 private:
  struct Entry {
    std::string name;
    Factory make;
    std::unique_ptr<Platform> platform;
    std::string last_error;
    std::mutex making;  // one maker at a time
  };
  Entry* Find(const std::string& name);
  const Entry* Find(const std::string& name) const;

  mutable std::mutex mu_;
  std::thread starter_;  // StartAllInBackground's, joined by the destructor
  std::vector<std::unique_ptr<Entry>> entries_;  // never shrinks: an Entry* stays valid
  std::string default_;
};

}  // namespace runlet::platform
