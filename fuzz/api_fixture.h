// The API wired as `runlet serve` wires it (api/ handlers, the router's guard, the run
// manager, SQLite in a fresh data directory, the repository's runtimes/, the web UI as
// the router's fallback), for the harnesses that reach handlers. Made once per process.
//
// Its one platform cannot be made (its factory fails, as when an engine is down), so a
// run that gets queued ends at once with internal_error: no input runs code. Everything
// before that (parsing, checks, the store, the queue) is the server's own.
#pragma once

#include <memory>
#include <string>

#include "api/router.h"
#include "api/types.h"

namespace runlet::fuzz {

struct ApiFixture {
  // Tokens the seed inputs use ("Authorization: Bearer rlt_fuzz_admin").
  static constexpr const char* kAdminToken = "rlt_fuzz_admin";
  static constexpr const char* kUserToken = "rlt_fuzz_user";
  // The user's project (with main.py) and finished run (with two log lines).
  static constexpr const char* kProjectId = "fuzzproject";
  static constexpr const char* kRunId = "fuzzrun";

  static ApiFixture& Get();

  // Puts back what an earlier input may have changed and later ones rely on: both
  // accounts enabled with their roles, their tokens valid, the project and the run
  // there. Call before each input.
  void Restore();
  // Dispatches as the server does: a deferred response is awaited (abort if it never
  // comes: a connection would hang), an event stream read for a few pages, a WebSocket
  // channel attached and polled once.
  api::Response Dispatch(api::Request& request);

  api::Router router;

 private:
  ApiFixture();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace runlet::fuzz
