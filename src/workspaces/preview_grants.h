// Who may open a workspace's app preview. The owner asks the API for a preview of a port
// (Create): a preview id (the host name label on the preview origin, one per preview, so
// that every preview is an origin of its own) and a one-time grant token, valid for a
// minute, carried in the URL. The preview origin exchanges the token for a cookie of that
// host (Redeem), and every later request must carry it (Check). Nothing here is the API's
// session: the preview origin never sees it.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace runlet::workspaces {

class PreviewGrants {
 public:
  using Clock = std::chrono::system_clock;
  struct Preview {
    std::string id;         // lower-case hex, the host name label
    std::string workspace;
    int64_t user_id = 0;
    uint16_t port = 0;
    std::string token;      // one-time, in the URL
    Clock::time_point token_expires;
    std::string cookie;     // the preview origin's session, once redeemed
    Clock::time_point expires_at;  // the cookie's end
  };

  // A preview of `port` of `workspace` for its owner, valid for `lifetime`.
  Preview Create(const std::string& workspace, int64_t user_id, uint16_t port, std::chrono::seconds lifetime);
  // The cookie value for a valid, unused token of preview `id`; the token is spent.
  std::optional<std::string> Redeem(const std::string& id, const std::string& token);
  // The preview `id` if `cookie` is its session and it has not expired.
  std::optional<Preview> Check(const std::string& id, const std::string& cookie);
  // Forgets the previews of a workspace that ended.
  void ForgetWorkspace(const std::string& workspace);

 private:
  void DropExpiredLocked(Clock::time_point now);
  std::mutex mu_;
  std::map<std::string, Preview> previews_;
};

}  // namespace runlet::workspaces
