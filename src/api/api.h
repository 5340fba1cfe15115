// The HTTP API under /api/v1 (../shared/API.md), plus /healthz and /metrics: thin
// handlers that parse, check, call the run manager and the store, and format JSON.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "api/metrics.h"
#include "api/router.h"
#include "platform/platform.h"
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
  platform::Platform& platform;
  Metrics& metrics;
  runtime::Catalog catalog;
  std::map<std::string, std::string> versions;  // runtime id -> exact toolchain version
  std::map<std::string, std::string> unavailable;  // runtime id -> why it cannot run here
  ProjectLimits project_limits;
  Limits max_limits = MaxLimits();  // requests are clamped to these
};

class Api {
 public:
  explicit Api(ApiDeps deps);
  void Register(Router& router);

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace runlet::api
