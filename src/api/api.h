// The HTTP API under /api/v1 (../shared/API.md), plus /healthz and /metrics: thin
// handlers that parse, check, call the run manager and the store, and format JSON.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "api/metrics.h"
#include "api/rate_limiter.h"
#include "api/router.h"
#include "core/ip_address.h"
#include "platform/platform_set.h"
#include "runs/run_manager.h"
#include "runtime/catalog.h"
#include "store/store.h"
#include "workspaces/preview_grants.h"
#include "workspaces/workspace_manager.h"

namespace runlet::api {

struct ProjectLimits {
  uint64_t file_bytes = 1 << 20;         // one file
  size_t files = 500;                    // files in a project
  uint64_t project_bytes = 16ull << 20;  // all files together
};

// When session cookies carry Secure: always, never, or (auto) when the server listens on
// an address other than loopback (TLS ends in a proxy in front) or a trusted proxy says
// X-Forwarded-Proto: https.
enum class CookieSecure { kAuto, kAlways, kNever };

struct ApiDeps {
  store::Store& store;
  runs::RunManager& runs;
  platform::PlatformSet& platforms;  // the default and the admin's choice of it
  Metrics& metrics;
  runtime::Catalog catalog;
  std::map<std::string, std::string> versions;  // runtime id -> exact toolchain version
  std::map<std::string, std::string> unavailable;  // runtime id -> why it cannot run here
  // Checks a runtime again after the admin changed it (blocks: it may run the toolchain):
  // {exact version, ""} when it can run here, else {"", why, with the operator's fix}.
  // Unset: every runtime is taken as available.
  std::function<std::pair<std::string, std::string>(const runtime::Runtime&)> check_runtime;
  ProjectLimits project_limits;
  // What the machine can give one run (MachineLimits): no maximum an admin sets goes
  // above it, and every run's limits are clamped to it.
  Limits max_limits = MachineLimits();
  // Callback URLs of execute requests (http::CallbackSender): admitted when given (the
  // verdict may come later, from another thread: a ticket or an error), then called with
  // the result, or released when the run could not start. Unset: callbacks are refused.
  std::function<void(const std::string& url, int64_t user, std::function<void(Result<uint64_t>)> done)>
      admit_callback;
  std::function<void(uint64_t ticket, std::string json_body)> send_callback;
  std::function<void(uint64_t ticket)> release_callback;
  // As send_callback, with PUT (Judge0's callbacks); unset: Judge0 callbacks are refused.
  std::function<void(uint64_t ticket, std::string json_body)> put_callback;
  // Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed.
  std::vector<Cidr> trusted_proxies;
  CookieSecure cookie_secure = CookieSecure::kAuto;
  bool listen_loopback = true;  // the server listens on a loopback address only
  // API requests per second (and burst) for each user (each address when anonymous).
  double request_rate = 50;
  double request_burst = 200;
  // Password hashes (argon2id, 64 MiB each) computed at once, off the HTTP threads, and
  // how many more requests that need one may wait (503 beyond).
  int password_threads = 2;
  int password_queue = 32;
  // Who may read /metrics: a request from an address in `metrics_allow` (loopback by
  // default; a request that names a forwarded client, as a proxy's do, is not from the
  // proxy's address), or with "Authorization: Bearer <metrics_token>" when one is set.
  // Others get 403. Each address may ask `metrics_rate` times a second (429 beyond).
  std::vector<Cidr> metrics_allow = DefaultMetricsAllow();
  std::string metrics_token;
  double metrics_rate = 2;
  // Workspaces (null: refused with 503, e.g. without the native sandbox), and the root file
  // system of a runtime's image for them.
  workspaces::WorkspaceManager* workspaces = nullptr;
  std::function<Result<std::string>(const std::string& image)> resolve_rootfs;
  // App previews (null: no preview origin, --preview-listen): grants, and the host:port
  // of a preview id on the preview origin.
  workspaces::PreviewGrants* previews = nullptr;
  std::function<std::string(const std::string& preview_id)> preview_host;
  double metrics_burst = 10;
  // Compatible APIs switched on by the operator (`--compat piston,judge0`), and their
  // anonymous use (`--compat-anonymous`); the admin's settings add to these (api/compat.h).
  std::vector<std::string> compat;
  bool compat_anonymous = false;

  static std::vector<Cidr> DefaultMetricsAllow() {
    return {*Cidr::Parse("127.0.0.0/8"), *Cidr::Parse("::1")};
  }
};

struct ApiState;

class Api {
 public:
  explicit Api(ApiDeps deps);
  void Register(Router& router);
  // Ends work that answers requests off the HTTP threads (password hashing): call it
  // before the HTTP server goes, so that nothing answers into a destroyed server.
  void Shutdown();

 private:
  std::shared_ptr<ApiState> state_;
};

}  // namespace runlet::api
