// What the API's handlers share (api.cpp, accounts.cpp, admin.cpp): their dependencies,
// the admin's settings (changed at run time), the rate limiter and login throttles, and
// the access rules every handler applies.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "api/api.h"
#include "api/util.h"
#include "auth/hash_workers.h"
#include "auth/login_guard.h"
#include "auth/throttle.h"

namespace runlet::api {

// Settings the admin changes through the API; kept in the store under "settings".
struct ServerSettings {
  bool signup_open = true;
  // Limits a run gets when its request does not set them, over the runtime's own (the
  // runlet limits form: {"time": "2s", "memory": "256M", ...}); empty: the runtime's.
  json::object default_limits;
  // Every user's maxima: a run's limits (build and run step) are clamped to these.
  // Default: DefaultUserMaxLimits of the machine.
  Limits max_limits;
  // A role's maxima over max_limits (the limits form; a role without one: max_limits).
  std::map<std::string, json::object> role_max_limits;
  store::Quota default_quota;  // for a user whose quota field is 0; 0 here: no quota
  // Per role ("user", "admin"): fields over default_quota for users of that role whose
  // own field is 0.
  std::map<std::string, store::Quota> role_quotas;
  runs::StoragePolicy storage;    // log bound per run, retention of execute runs
  int sse_streams_per_user = 32;  // a user's open event streams (429 beyond; 0: no bound)
  // Compatible APIs the admin switched on ("piston", "judge0"), over the operator's
  // (ApiDeps::compat), and anonymous use of them (api/compat.h).
  std::vector<std::string> compat;
  bool compat_anonymous = false;
  // Interactive runs (a person answers prompts): the wall limit they get unless the
  // request sets one, and how long one may go with neither input nor output before it
  // is stopped (reason "idle"; 0: never). Both under the user's maxima.
  int64_t interactive_wall_ms = 5 * 60 * 1000;
  int64_t interactive_idle_ms = 3 * 60 * 1000;
  // Visitors who are not logged in may run public projects (as the built-in account
  // "anonymous", within its quota).
  bool anonymous_runs = false;
};

// What users are told of a runtime that cannot run here (admins see why, and the fix).
inline constexpr const char* kRuntimeUnavailable = "unavailable on this server just now; ask your admin";

// The name of the account of visitors' runs (no one may sign up with it).
inline constexpr const char* kAnonymousUser = "anonymous";

struct ApiState {
  explicit ApiState(ApiDeps d);

  ApiDeps deps;
  RateLimiter limiter;
  RateLimiter metrics_limiter;  // /metrics, per address
  // Password checks (login, password change, token creation), per account and address.
  auth::LoginGuard logins;
  // Wrong second-factor codes of a signed-in user (enrolment, turning it off), per user.
  auth::Throttle codes;
  auth::HashWorkers hashers;  // signup, login and password changes run here
  // Platform health checks (/healthz, the admin's platform list) run here: a hung engine
  // holds a worker for its check's timeout (seconds), never an HTTP thread.
  auth::HashWorkers checkers;

  // Open event streams per user (ServerSettings::sse_streams_per_user). A stream holds
  // its slot until it is destroyed.
  std::mutex streams_mu;
  std::map<int64_t, int> streams;
  // A slot for one more of `user_id`'s streams, or kTooMany.
  Result<std::shared_ptr<void>> TakeStreamSlot(int64_t user_id);

  std::mutex catalog_mu;  // deps.catalog, deps.unavailable
  std::optional<runtime::Runtime> FindRuntime(const std::string& id);
  json::object RuntimeToJson(const runtime::Runtime& rt);
  // Why the runtime cannot run here, "" when it can.
  std::string Unavailable(const std::string& runtime_id);

  std::mutex settings_mu;
  ServerSettings settings;
  ServerSettings Settings();
  // The quota that applies to `who`: theirs, field by field, over the default.
  store::Quota QuotaFor(const Principal& who);
  // A user's own maxima (PATCH /admin/users/{id} {"max_limits"}), over their role's;
  // guarded by settings_mu, kept in the store as "max_limits:user:<id>".
  std::map<int64_t, json::object> user_max_limits;
  // What `who` may ask for: their own maxima over their role's over max_limits, all
  // under the machine's (deps.max_limits).
  Limits MaxLimitsFor(int64_t user_id, const std::string& role);
  // `wanted` clamped to `who`'s maxima and per-run quota (disk, time, memory, cpus).
  Limits LimitsFor(const Principal& who, Limits wanted);
  // A runtime's run limits with the admin's default limits over them.
  Limits DefaultLimitsFor(const runtime::Runtime& rt);
  // The built-in account that runs visitors' runs (ServerSettings::anonymous_runs),
  // made on first use; it cannot log in. kUnavailable if a person holds the name.
  Result<Principal> AnonymousPrincipal();
  // Fills in the run request's user and quota fields.
  void ApplyQuota(const Principal& who, runs::RunRequest& run);

  // Parses one execute request into a run request for `who`. `runtime_override` (the
  // compatible APIs' own, e.g. Judge0's multi-file programs) stands for the request's
  // "runtime", which is then not read.
  Result<runs::RunRequest> ParseExecute(const json::value& value, const Principal& who,
                                        const runtime::Runtime* runtime_override = nullptr);

  // The project `id` if `req`'s sender may read it (write = false: its owner, or anyone
  // when it is public) or change it (write = true: its owner). kNotFound for a private
  // project of someone else (its existence is not told), kForbidden for writes to
  // someone else's public project.
  Result<store::Project> ProjectFor(const Request& req, const std::string& id, bool write);
  // A project as JSON for `req`'s sender: env values only for its owner.
  json::object ProjectJson(const store::Project& project, const Request& req);
  // The run `id` if `req`'s sender started it; kNotFound otherwise. With `header_only`,
  // without its results' fields (Store::GetRunHeader).
  Result<store::RunRecord> RunFor(const Request& req, const std::string& id, bool header_only = false);
};

// Routes of api/accounts.cpp (auth, /me) and api/admin.cpp (/admin), and the guard that
// authenticates every request (api/accounts.cpp).
void RegisterAccountRoutes(Router& router, const std::shared_ptr<ApiState>& state);
void RegisterAdminRoutes(Router& router, const std::shared_ptr<ApiState>& state);
void RegisterWorkspaceRoutes(Router& router, const std::shared_ptr<ApiState>& state);
// Refuses (413 storage_quota) a change that adds `added` bytes of files (and removes
// `removed`) beyond `who`'s quota of stored bytes.
std::optional<Response> CheckStorageQuota(ApiState& s, const Principal& who, uint64_t added, uint64_t removed);
std::optional<Response> Authenticate(ApiState& state, Request& req);
// Runs `handler` on `s`'s `workers`, off the HTTP threads (its response is deferred);
// when too many wait there, 503 "busy" with `busy_message` instead.
Handler OnWorkers(const std::shared_ptr<ApiState>& s, auth::HashWorkers ApiState::*workers, std::string busy_message,
                  Handler handler);

// A request's "args" (a list of strings without NUL) appended to `args`; kInvalid.
Status ParseArgs(const json::object& o, std::vector<std::string>& args);

// Settings as JSON and back (the admin API and the store use the same form).
json::object SettingsToJson(const ServerSettings& settings);
Result<ServerSettings> SettingsFromJson(const json::value& value, ServerSettings base);
json::object LimitsToJson(const Limits& limits);
json::object QuotaToJson(const store::Quota& quota);
Result<store::Quota> QuotaFromJson(const json::value& value, store::Quota base);

}  // namespace runlet::api
