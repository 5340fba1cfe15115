#include "platform/platform_set.h"

#include <future>

namespace runlet::platform {

PlatformSet::Entry* PlatformSet::Find(const std::string& name) {
  for (auto& e : entries_) {
    if (e->name == name) return e.get();
  }
  return nullptr;
}

const PlatformSet::Entry* PlatformSet::Find(const std::string& name) const {
  for (const auto& e : entries_) {
    if (e->name == name) return e.get();
  }
  return nullptr;
}

void PlatformSet::Add(const std::string& name, Factory make) {
  std::lock_guard lock(mu_);
  if (Entry* e = Find(name)) {
    if (!e->platform) e->make = std::move(make);
    return;
  }
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->make = std::move(make);
  entries_.push_back(std::move(e));
  if (default_.empty()) default_ = name;
}

void PlatformSet::Add(std::unique_ptr<Platform> platform) {
  const std::string name(platform->Name());
  std::lock_guard lock(mu_);
  Entry* e = Find(name);
  if (!e) {
    entries_.push_back(std::make_unique<Entry>());
    e = entries_.back().get();
    e->name = name;
  }
  e->platform = std::move(platform);
  e->last_error.clear();
  if (default_.empty()) default_ = name;
}

bool PlatformSet::Has(const std::string& name) const {
  std::lock_guard lock(mu_);
  return Find(name) != nullptr;
}

std::vector<std::string> PlatformSet::Names() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& e : entries_) out.push_back(e->name);
  return out;
}

std::string PlatformSet::DefaultName() const {
  std::lock_guard lock(mu_);
  return default_;
}

Status PlatformSet::SetDefault(const std::string& name) {
  auto platform = Get(name);
  if (!platform) return tl::unexpected(platform.error());
  const Health health = (*platform)->Check();
  if (!health.ok) return Fail(ErrorKind::kUnavailable, "platform " + name + " is not healthy: " + health.detail);
  std::lock_guard lock(mu_);
  default_ = name;
  return {};
}

Result<std::string> PlatformSet::Choose(const std::string& wanted) const {
  std::lock_guard lock(mu_);
  if (wanted.empty()) {
    if (default_.empty()) return Fail(ErrorKind::kUnavailable, "no platform is configured");
    return default_;
  }
  if (!Find(wanted)) {
    std::string have;
    for (const auto& e : entries_) have += (have.empty() ? "" : ", ") + e->name;
    return Fail(ErrorKind::kNotFound, "platform " + wanted + " is not configured on this server (have: " + have + ")");
  }
  return wanted;
}

Result<Platform*> PlatformSet::Get(const std::string& name) {
  Entry* e = nullptr;
  {
    std::lock_guard lock(mu_);
    e = Find(name);
    if (!e) return Fail(ErrorKind::kNotFound, "platform " + name + " is not configured on this server");
    if (e->platform) return e->platform.get();
  }
  std::lock_guard making(e->making);
  Factory make;
  {
    std::lock_guard lock(mu_);
    if (e->platform) return e->platform.get();  // made by the thread we waited for
    make = e->make;
  }
  if (!make) return Fail(ErrorKind::kUnavailable, "platform " + name + " has no way to start");
  auto made = make();
  std::lock_guard lock(mu_);
  if (!made) {
    e->last_error = made.error().message;
    return Fail(ErrorKind::kUnavailable, "platform " + name + " cannot start: " + made.error().message);
  }
  e->platform = std::move(*made);
  e->last_error.clear();
  return e->platform.get();
}

std::vector<PlatformInfo> PlatformSet::Describe() {
  std::vector<std::pair<PlatformInfo, Platform*>> items;
  {
    std::lock_guard lock(mu_);
    for (const auto& e : entries_) {
      PlatformInfo info;
      info.name = e->name;
      info.is_default = e->name == default_;
      info.started = e->platform != nullptr;
      info.health.detail = e->platform ? "" : e->last_error.empty() ? "not started yet (starts on first use)"
                                                                     : "cannot start: " + e->last_error;
      items.emplace_back(std::move(info), e->platform.get());
    }
  }
  // All at once, without the lock (platforms are never removed): a hung engine delays the
  // answer by its own check's timeout, not by those of the others too.
  std::vector<std::future<Health>> checks;
  for (auto& [info, platform] : items) {
    if (platform) checks.push_back(std::async(std::launch::async, [p = platform] { return p->Check(); }));
  }
  std::vector<PlatformInfo> out;
  size_t next = 0;
  for (auto& [info, platform] : items) {
    if (platform) info.health = checks[next++].get();
    out.push_back(std::move(info));
  }
  return out;
}

void PlatformSet::StartAllInBackground() {
  if (starter_.joinable()) return;
  starter_ = std::thread([this] {
    for (const std::string& name : Names()) (void)Get(name);
  });
}

PlatformSet::~PlatformSet() {
  if (starter_.joinable()) starter_.join();
}

}  // namespace runlet::platform
