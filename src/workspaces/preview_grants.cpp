#include "workspaces/preview_grants.h"

#include <sodium.h>

#include "core/hex.h"

namespace runlet::workspaces {
namespace {

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  return HexEncode(raw);
}

bool SameSecret(const std::string& a, const std::string& b) {
  return !a.empty() && a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

PreviewGrants::Preview PreviewGrants::Create(const std::string& workspace, int64_t user_id, uint16_t port,
                                             std::chrono::seconds lifetime) {
  const auto now = Clock::now();
  Preview p;
  p.id = RandomHex(10);
  p.workspace = workspace;
  p.user_id = user_id;
  p.port = port;
  p.token = RandomHex(24);
  p.token_expires = now + std::chrono::seconds(60);
  p.expires_at = now + lifetime;
  std::lock_guard lock(mu_);
  DropExpiredLocked(now);
  previews_[p.id] = p;
  return p;
}

std::optional<std::string> PreviewGrants::Redeem(const std::string& id, const std::string& token) {
  std::lock_guard lock(mu_);
  const auto now = Clock::now();
  auto it = previews_.find(id);
  if (it == previews_.end() || now >= it->second.token_expires || !SameSecret(it->second.token, token)) return std::nullopt;
  it->second.token.clear();  // spent
  it->second.cookie = RandomHex(24);
  return it->second.cookie;
}

std::optional<PreviewGrants::Preview> PreviewGrants::Check(const std::string& id, const std::string& cookie) {
  std::lock_guard lock(mu_);
  auto it = previews_.find(id);
  if (it == previews_.end() || Clock::now() >= it->second.expires_at || !SameSecret(it->second.cookie, cookie))
    return std::nullopt;
  return it->second;
}

void PreviewGrants::ForgetWorkspace(const std::string& workspace) {
  std::lock_guard lock(mu_);
  for (auto it = previews_.begin(); it != previews_.end();) {
    it = it->second.workspace == workspace ? previews_.erase(it) : std::next(it);
  }
}

void PreviewGrants::DropExpiredLocked(Clock::time_point now) {
  for (auto it = previews_.begin(); it != previews_.end();) {
    it = now >= it->second.expires_at ? previews_.erase(it) : std::next(it);
  }
}

}  // namespace runlet::workspaces
