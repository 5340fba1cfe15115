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
#include "platform/platform_set.h"
#include "runs/run_manager.h"
#include "runtime/catalog.h"
#include "store/store.h"

namespace runlet::api {

struct ProjectLimits {
  uint64_t file_bytes = 1 << 20;         // one file
  size_t files = 500;                    // files in a project
  uint64_t project_bytes = 16ull << 20;  // all files together
};

struct ApiDeps {
  store::Store& store;
  runs::RunManager& runs;
  platform::PlatformSet& platforms;  // the default and the admin's choice of it
  Metrics& metrics;
  runtime::Catalog catalog;
  std::map<std::string, std::string> versions;  // runtime id -> exact toolchain version
  std::map<std::string, std::string> unavailable;  // runtime id -> why it cannot run here
  ProjectLimits project_limits;
  // What the machine can give one run (MachineLimits): no maximum an admin sets goes
  // above it, and every run's limits are clamped to it.
  Limits max_limits = MachineLimits();
  // Callback URLs of execute requests: checked when given, called with the result.
  std::function<Status(const std::string& url)> check_callback;
  std::function<void(const std::string& url, std::string json_body)> send_callback;
  // API requests per second (and burst) for each user and each remote address.
  double request_rate = 50;
  double request_burst = 200;
  // Password hashes (argon2id, 64 MiB each) computed at once, off the HTTP threads, and
  // how many more requests that need one may wait (503 beyond).
  int password_threads = 2;
  int password_queue = 32;
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
