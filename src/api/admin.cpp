// The admin API (admin role only): users and their quotas, settings (sign-up policy,
// maxima of limits, default quota), the global FAQ, runtimes and platforms. Changes are
// stored and apply at once, without a restart.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <set>

#include "api/state.h"
#include "core/result_json.h"
#include "auth/password.h"
#include "core/json.h"
#include "runtime/catalog.h"
#include "workspaces/workspace_manager.h"

namespace runlet::api {

// Why `name` cannot be a user name ("" when it can); api/accounts.cpp.
std::string UsernameProblem(const std::string& name);

namespace {

Response NoContent() {
  Response r;
  r.status = 204;
  return r;
}

// The server's own account for visitors' runs (ApiState::AnonymousPrincipal): nothing
// logs in as it ("!" is no password hash).
bool IsBuiltinAnonymous(const store::User& u) { return u.username == kAnonymousUser && u.password_hash == "!"; }

json::object AdminUserJson(ApiState& s, const store::User& u) {
  json::object o{{"id", u.id},
                 {"username", u.username},
                 {"role", u.role},
                 {"disabled", u.disabled},
                 {"totp_enabled", u.totp_enabled},
                 {"created_at", u.created_at},
                 {"quota", QuotaToJson(u.quota)}};
  Principal p;
  p.quota = u.quota;
  p.role = u.role;
  o["effective_quota"] = QuotaToJson(s.QuotaFor(p));
  {
    std::lock_guard lock(s.settings_mu);
    auto it = s.user_max_limits.find(u.id);
    o["max_limits"] = it == s.user_max_limits.end() ? json::value(nullptr) : json::value(it->second);
  }
  o["effective_max_limits"] = LimitsToJson(s.MaxLimitsFor(u.id, u.role));
  const auto usage = s.deps.runs.UsageOf(u.id);
  o["usage"] = json::object{{"runs", usage.concurrent_runs}, {"memory_bytes", usage.memory_bytes}, {"cpus", usage.cpus}};
  o["builtin"] = IsBuiltinAnonymous(u);
  return o;
}

json::value DefinitionJson(const runtime::Runtime& rt) {
  boost::system::error_code ec;
  json::value v = json::parse(rt.definition, ec);
  if (ec || !v.is_object()) return json::object{{"id", rt.id}};
  v.as_object()["enabled"] = rt.enabled;
  // What the server says of it (AdminRuntimeJson) is not part of a definition sent back.
  v.as_object().erase("available");
  v.as_object().erase("problem");
  return v;
}

// Stores and installs a runtime definition; the catalog's entry of the same id goes.
Status PutRuntime(ApiState& s, const runtime::Runtime& rt) {
  // A platform override must be one this server has (an enabled runtime's runs go there).
  if (rt.enabled && !rt.platform.empty() && !s.deps.platforms.Has(rt.platform)) {
    std::string have;
    for (const auto& name : s.deps.platforms.Names()) have += (have.empty() ? "" : ", ") + name;
    return Fail(ErrorKind::kInvalid, "runtime " + rt.id + ": platform " + rt.platform +
                                         " is not configured on this server (have: " + have + ")");
  }
  if (auto st = s.deps.store.PutSetting("runtime:" + rt.id, rt.definition); !st) return st;
  // Whether it can run now: checked again on every change (an image that is missing, a
  // toolchain that does not answer), so users never start runs that cannot work.
  std::pair<std::string, std::string> check{rt.version, ""};
  if (!rt.enabled) check = {"", "disabled"};
  else if (s.deps.check_runtime) check = s.deps.check_runtime(rt);
  std::lock_guard lock(s.catalog_mu);
  s.deps.catalog.Add(rt);
  if (check.second.empty()) {
    s.deps.unavailable.erase(rt.id);
    s.deps.versions[rt.id] = check.first;
  } else {
    s.deps.unavailable[rt.id] = check.second;
    s.deps.versions.erase(rt.id);
  }
  return {};
}

// A runtime's definition for the admin, with whether it can run here and, if not, why
// and how to fix it.
json::object AdminRuntimeJson(ApiState& s, const runtime::Runtime& rt) {
  json::object o = DefinitionJson(rt).as_object();
  const std::string why = s.Unavailable(rt.id);
  o["available"] = rt.enabled && why.empty();
  if (!why.empty()) o["problem"] = why;
  return o;
}

Result<runtime::Runtime> ParseDefinition(const std::string& body) {
  if (body.size() > 256 * 1024) return Fail(ErrorKind::kTooLarge, "a runtime definition may have at most 256 KiB");
  auto rt = runtime::Catalog::ParseRuntime(body);
  if (!rt) return Fail(ErrorKind::kInvalid, rt.error().message);
  return rt;
}

// `limits` (over `base`) are within what the machine gives one run; kInvalid names the
// first that is not.
Status WithinMachine(ApiState& s, const std::string& what, const json::object& limits, const Limits& base) {
  const json::value v = limits;
  auto l = runtime::ParseLimitsJson(&v, base);
  if (!l) return Fail(ErrorKind::kInvalid, what + ": " + l.error().message);
  if (auto st = ValidateLimits(*l, s.deps.max_limits); !st)
    return Fail(ErrorKind::kInvalid, what + " above what this machine can give one run: " + st.error().message);
  return {};
}

}  // namespace

json::object LimitsToJson(const Limits& l) { return LimitsJson(l); }

json::object QuotaToJson(const store::Quota& q) {
  return {{"concurrent_runs", q.concurrent_runs},
          {"cpus", q.cpus},
          {"memory_bytes", q.memory_bytes},
          {"disk_bytes", q.disk_bytes},
          {"time_ms", q.time_ms},
          {"projects", q.projects},
          {"stored_bytes", q.stored_bytes}};
}

Result<store::Quota> QuotaFromJson(const json::value& value, store::Quota q) {
  if (!value.is_object()) return Fail(ErrorKind::kInvalid, "a quota is an object");
  for (const auto& [key, v] : value.as_object()) {
    if (!v.is_number()) return Fail(ErrorKind::kInvalid, "quota " + std::string(key) + " must be a number (0: the default)");
    const double n = v.to_number<double>();
    if (!(n >= 0) || !std::isfinite(n)) return Fail(ErrorKind::kInvalid, "quota " + std::string(key) + " must be 0 or more");
    if (key == "concurrent_runs") {
      if (n > 10000 || n != std::floor(n)) return Fail(ErrorKind::kInvalid, "quota concurrent_runs must be a whole number up to 10000");
      q.concurrent_runs = static_cast<int>(n);
    } else if (key == "cpus") {
      if (n > 1024) return Fail(ErrorKind::kInvalid, "quota cpus must be at most 1024");
      q.cpus = n;
    } else if (key == "memory_bytes" || key == "disk_bytes" || key == "stored_bytes") {
      if (n > static_cast<double>(1ull << 50)) return Fail(ErrorKind::kInvalid, "quota " + std::string(key) + " is too large");
      (key == "memory_bytes" ? q.memory_bytes : key == "disk_bytes" ? q.disk_bytes : q.stored_bytes) = static_cast<uint64_t>(n);
    } else if (key == "projects") {
      if (n > 1e6 || n != std::floor(n)) return Fail(ErrorKind::kInvalid, "quota projects must be a whole number up to 1000000");
      q.projects = static_cast<int>(n);
    } else if (key == "time_ms") {
      if (n > 7 * 24 * 3600e3) return Fail(ErrorKind::kInvalid, "quota time_ms must be at most a week");
      q.time_ms = static_cast<int64_t>(n);
    } else {
      return Fail(ErrorKind::kInvalid, "unknown quota \"" + std::string(key) + "\"");
    }
  }
  return q;
}

json::object SettingsToJson(const ServerSettings& s) {
  json::object roles;
  for (const auto& [role, quota] : s.role_quotas) roles[role] = QuotaToJson(quota);
  return {{"signup", s.signup_open ? "open" : "closed"},
          {"default_limits", s.default_limits},
          {"max_limits", LimitsToJson(s.max_limits)},
          {"role_max_limits", [&] {
             json::object roles;
             for (const auto& [role, limits] : s.role_max_limits) roles[role] = limits;
             return roles;
           }()},
          {"default_quota", QuotaToJson(s.default_quota)},
          {"role_quotas", roles},
          {"log_bytes_per_run", s.storage.log_bytes_per_run},
          {"execute_runs_keep_days", s.storage.execute_keep_days},
          {"execute_runs_per_user", s.storage.execute_keep_per_user},
          {"sse_streams_per_user", s.sse_streams_per_user},
          {"compat", json::array(s.compat.begin(), s.compat.end())},
          {"compat_anonymous", s.compat_anonymous},
          {"interactive_wall_ms", s.interactive_wall_ms},
          {"interactive_idle_ms", s.interactive_idle_ms},
          {"anonymous_runs", s.anonymous_runs}};
}

Result<ServerSettings> SettingsFromJson(const json::value& value, ServerSettings s) {
  if (!value.is_object()) return Fail(ErrorKind::kInvalid, "settings are a JSON object");
  for (const auto& [key, v] : value.as_object()) {
    if (key == "signup") {
      if (!v.is_string() || (v.as_string() != "open" && v.as_string() != "closed"))
        return Fail(ErrorKind::kInvalid, "signup must be \"open\" or \"closed\"");
      s.signup_open = v.as_string() == "open";
    } else if (key == "default_limits") {
      // The same form as a request's limits; checked over the built-in defaults.
      auto l = runtime::ParseLimitsJson(&v, Limits{});
      if (!l) return Fail(ErrorKind::kInvalid, "default_limits: " + l.error().message);
      s.default_limits = v.is_object() ? v.as_object() : json::object{};
    } else if (key == "max_limits") {
      auto l = runtime::ParseLimitsJson(&v, s.max_limits);
      if (!l) return Fail(ErrorKind::kInvalid, "max_limits: " + l.error().message);
      s.max_limits = *l;
    } else if (key == "role_max_limits") {
      if (!v.is_object()) return Fail(ErrorKind::kInvalid, "role_max_limits maps roles (\"user\", \"admin\") to limits");
      std::map<std::string, json::object> roles;
      for (const auto& [role, limits] : v.as_object()) {
        if (role != "user" && role != "admin")
          return Fail(ErrorKind::kInvalid, "role_max_limits: unknown role \"" + std::string(role) + "\" (user, admin)");
        if (!limits.is_object()) return Fail(ErrorKind::kInvalid, "role_max_limits." + std::string(role) + " must be limits");
        if (auto l = runtime::ParseLimitsJson(&limits, Limits{}); !l)
          return Fail(ErrorKind::kInvalid, "role_max_limits." + std::string(role) + ": " + l.error().message);
        roles[std::string(role)] = limits.as_object();
      }
      s.role_max_limits = std::move(roles);
    } else if (key == "compat") {
      if (!v.is_array()) return Fail(ErrorKind::kInvalid, "compat is a list of \"piston\" and \"judge0\"");
      std::vector<std::string> dialects;
      for (const auto& d : v.as_array()) {
        if (!d.is_string() || (d.as_string() != "piston" && d.as_string() != "judge0"))
          return Fail(ErrorKind::kInvalid, "compat is a list of \"piston\" and \"judge0\"");
        if (std::find(dialects.begin(), dialects.end(), d.as_string()) == dialects.end())
          dialects.emplace_back(d.as_string());
      }
      s.compat = std::move(dialects);
    } else if (key == "compat_anonymous") {
      if (!v.is_bool()) return Fail(ErrorKind::kInvalid, "compat_anonymous must be true or false");
      s.compat_anonymous = v.as_bool();
    } else if (key == "machine_limits") {
      // What the machine gives (GET shows it); it cannot be set, and is ignored here
      // so that a settings document read with GET can be PUT back.
    } else if (key == "default_quota") {
      auto q = QuotaFromJson(v, s.default_quota);
      if (!q) return Fail(ErrorKind::kInvalid, "default_quota: " + q.error().message);
      s.default_quota = *q;
    } else if (key == "role_quotas") {
      if (!v.is_object()) return Fail(ErrorKind::kInvalid, "role_quotas is an object: {\"user\": {quota}, \"admin\": {quota}}");
      std::map<std::string, store::Quota> roles;
      for (const auto& [role, quota] : v.as_object()) {
        if (role != "user" && role != "admin") return Fail(ErrorKind::kInvalid, "role_quotas: the roles are user and admin");
        auto q = QuotaFromJson(quota, {});
        if (!q) return Fail(ErrorKind::kInvalid, "role_quotas." + std::string(role) + ": " + q.error().message);
        roles[std::string(role)] = *q;
      }
      s.role_quotas = std::move(roles);
    } else if (key == "log_bytes_per_run" || key == "execute_runs_keep_days" || key == "execute_runs_per_user" ||
               key == "sse_streams_per_user") {
      const double n = v.is_number() ? v.to_number<double>() : -1;
      if (!(n >= 0) || !std::isfinite(n)) return Fail(ErrorKind::kInvalid, std::string(key) + " must be a number, 0 or more (0: no bound)");
      if (key == "log_bytes_per_run") {
        if (n > static_cast<double>(1ull << 40)) return Fail(ErrorKind::kInvalid, "log_bytes_per_run is too large");
        s.storage.log_bytes_per_run = static_cast<uint64_t>(n);
      } else if (key == "execute_runs_keep_days") {
        if (n > 36500) return Fail(ErrorKind::kInvalid, "execute_runs_keep_days must be at most 36500");
        s.storage.execute_keep_days = n;
      } else {
        if (n > 1e6 || n != std::floor(n)) return Fail(ErrorKind::kInvalid, std::string(key) + " must be a whole number up to 1000000");
        (key == "execute_runs_per_user" ? s.storage.execute_keep_per_user : s.sse_streams_per_user) = static_cast<int>(n);
      }
    } else if (key == "interactive_wall_ms" || key == "interactive_idle_ms") {
      const double n = v.is_number() ? v.to_number<double>() : -1;
      if (!(n >= 0) || n > 86400e3 || n != std::floor(n))
        return Fail(ErrorKind::kInvalid, std::string(key) + " must be a whole number of milliseconds, 0 to 86400000");
      if (key == "interactive_wall_ms") {
        if (n < 1000) return Fail(ErrorKind::kInvalid, "interactive_wall_ms must be at least 1000");
        s.interactive_wall_ms = static_cast<int64_t>(n);
      } else {
        s.interactive_idle_ms = static_cast<int64_t>(n);
      }
    } else if (key == "anonymous_runs") {
      if (!v.is_bool()) return Fail(ErrorKind::kInvalid, "anonymous_runs must be true or false");
      s.anonymous_runs = v.as_bool();
    } else {
      return Fail(ErrorKind::kInvalid, "unknown setting \"" + std::string(key) + "\"");
    }
  }
  return s;
}

void RegisterAdminRoutes(Router& router, const std::shared_ptr<ApiState>& state) {
  auto s = state;
  // Every admin route: admins only (the guard has already refused anonymous requests).
  auto admin = [s](Handler handler) {
    return [handler = std::move(handler)](Request& req) {
      if (!req.principal || !req.principal->admin()) return ErrorResponse(403, "forbidden", "admins only");
      return handler(req);
    };
  };

  // Users.
  router.Add("GET", "/api/v1/admin/users", admin([s](Request&) {
    auto users = s->deps.store.ListUsers();
    if (!users) return ErrorResponse(users.error());
    json::array out;
    for (const auto& u : *users) out.push_back(AdminUserJson(*s, u));
    return Ok(out);
  }));
  // Makes an account: {username, password, role?}.
  router.Add("POST", "/api/v1/admin/users", admin([s](Request& req) {
    auto body = ParseObject(req.body);
    if (!body) return ErrorResponse(body.error());
    std::string error;
    auto username = OptString(*body, "username", error);
    auto password = OptString(*body, "password", error);
    auto role = OptString(*body, "role", error);
    if (!error.empty()) return Invalid(error);
    if (!username || !password) return Invalid("username and password are required");
    std::string name = *username;  // names are lower case, as at sign-up
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (auto why = UsernameProblem(name); !why.empty()) return Invalid(why);
    if (auto why = auth::CheckNewPassword(*password); !why.empty()) return Invalid(why);
    if (role && *role != "user" && *role != "admin") return Invalid("role must be \"admin\" or \"user\"");
    auto hash = auth::HashPassword(*password);
    if (!hash) return ErrorResponse(hash.error());
    store::User u;
    u.username = name;
    u.password_hash = *hash;
    u.role = role.value_or("user");
    u.created_at = store::NowRfc3339();
    auto id = s->deps.store.CreateUser(u);
    if (!id) return ErrorResponse(id.error());
    u.id = *id;
    return Ok(AdminUserJson(*s, u), 201);
  }), 8 << 10);
  router.Add("GET", "/api/v1/admin/users/{id}", admin([s](Request& req) {
    char* end = nullptr;
    const long long id = std::strtoll(req.params["id"].c_str(), &end, 10);
    auto user = *end ? Result<std::optional<store::User>>(std::nullopt) : s->deps.store.GetUser(id);
    if (!user) return ErrorResponse(user.error());
    if (!*user) return ErrorResponse(404, "not_found", "no user " + req.params["id"]);
    return Ok(AdminUserJson(*s, **user));
  }));
  router.Add("PATCH", "/api/v1/admin/users/{id}", admin([s](Request& req) {
    char* end = nullptr;
    const long long id = std::strtoll(req.params["id"].c_str(), &end, 10);
    auto user = *end ? Result<std::optional<store::User>>(std::nullopt) : s->deps.store.GetUser(id);
    if (!user) return ErrorResponse(user.error());
    if (!*user) return ErrorResponse(404, "not_found", "no user " + req.params["id"]);
    auto body = ParseObject(req.body);
    if (!body) return ErrorResponse(body.error());
    store::User u = **user;
    bool revoke = false;
    std::optional<json::object> max_limits;  // set: store it; empty object: remove it
    for (const auto& [key, v] : *body) {
      if (key == "role") {
        if (!v.is_string() || (v.as_string() != "admin" && v.as_string() != "user"))
          return Invalid("role must be \"admin\" or \"user\"");
        u.role = std::string(v.as_string());
      } else if (key == "disabled") {
        if (!v.is_bool()) return Invalid("disabled must be true or false");
        revoke = v.as_bool() && !u.disabled;
        u.disabled = v.as_bool();
      } else if (key == "quota") {
        auto q = QuotaFromJson(v, u.quota);
        if (!q) return ErrorResponse(q.error());
        u.quota = *q;
      } else if (key == "max_limits") {
        if (!v.is_object() && !v.is_null()) return Invalid("max_limits must be limits, or null for the role's");
        max_limits = v.is_null() ? json::object{} : v.as_object();
        if (auto st = WithinMachine(*s, "max_limits", *max_limits, s->MaxLimitsFor(0, u.role)); !st)
          return ErrorResponse(st.error());
      } else if (key == "password") {
        if (!v.is_string()) return Invalid("password must be a string");
        if (auto why = auth::CheckNewPassword(std::string(v.as_string())); !why.empty()) return Invalid(why);
        auto hash = auth::HashPassword(std::string(v.as_string()));
        if (!hash) return ErrorResponse(hash.error());
        u.password_hash = *hash;
        revoke = true;
      } else {
        return Invalid("unknown field \"" + std::string(key) + "\" (role, disabled, quota, max_limits, password)");
      }
    }
    // The last enabled admin stays one.
    if ((**user).role == "admin" && !(**user).disabled && (u.role != "admin" || u.disabled)) {
      auto users = s->deps.store.ListUsers();
      if (!users) return ErrorResponse(users.error());
      int admins = 0;
      for (const auto& other : *users) admins += other.role == "admin" && !other.disabled;
      if (admins <= 1) return ErrorResponse(409, "conflict", "this is the last admin; make another one first");
    }
    if (auto st = s->deps.store.UpdateUser(u); !st) return ErrorResponse(st.error());
    if (max_limits) {
      const std::string key = "max_limits:user:" + std::to_string(u.id);
      auto st = max_limits->empty() ? s->deps.store.DeleteSetting(key) : s->deps.store.PutSetting(key, json::serialize(*max_limits));
      if (!st) return ErrorResponse(st.error());
      std::lock_guard lock(s->settings_mu);
      if (max_limits->empty()) {
        s->user_max_limits.erase(u.id);
      } else {
        s->user_max_limits[u.id] = *max_limits;
      }
    }
    if (revoke) (void)s->deps.store.DeleteUserCredentials(u.id, "");
    return Ok(AdminUserJson(*s, u));
  }));

  // Deletes an account with all that is theirs (Store::DeleteUser): their sessions and
  // tokens end, their workspaces stop, their runs and the runs on their projects are
  // stopped and awaited first. Not one's own account, nor the built-in anonymous one.
  router.Add("DELETE", "/api/v1/admin/users/{id}", admin([s](Request& req) {
    char* end = nullptr;
    const long long id = std::strtoll(req.params["id"].c_str(), &end, 10);
    auto user = *end ? Result<std::optional<store::User>>(std::nullopt) : s->deps.store.GetUser(id);
    if (!user) return ErrorResponse(user.error());
    if (!*user) return ErrorResponse(404, "not_found", "no user " + req.params["id"]);
    if (id == req.principal->user_id) return ErrorResponse(409, "conflict", "you cannot delete your own account");
    if (IsBuiltinAnonymous(**user))
      return ErrorResponse(409, "conflict", "the anonymous account is the server's own (visitors' runs); switch anonymous runs off instead");
    // Log them out at once, so that nothing new starts while their runs end.
    if (auto st = s->deps.store.DeleteUserCredentials(id, ""); !st) return ErrorResponse(st.error());
    if (s->deps.workspaces) {
      for (const auto& w : s->deps.workspaces->List(id)) {
        if (w.status != "stopped") (void)s->deps.workspaces->Stop(w.id, id, "user_deleted");
      }
    }
    auto projects = s->deps.store.ListProjects(id);
    if (!projects) return ErrorResponse(projects.error());
    std::set<std::string> owned;
    for (const auto& p : *projects) owned.insert(p.id);
    auto unfinished = s->deps.store.ListUnfinishedRuns();
    if (!unfinished) return ErrorResponse(unfinished.error());
    std::vector<std::string> active;
    for (const auto& run : *unfinished) {
      if (run.user_id == id || owned.count(run.project_id)) active.push_back(run.id);
    }
    auto finish = [s, id]() -> Response {
      if (auto st = s->deps.store.DeleteUser(id); !st) return ErrorResponse(st.error());
      {
        std::lock_guard lock(s->settings_mu);
        s->user_max_limits.erase(id);
      }
      return NoContent();
    };
    if (active.empty()) return finish();
    for (const auto& run_id : active) (void)s->deps.runs.Stop(run_id, "user_deleted");
    Response r;
    r.deferred = [s, active, finish](std::function<void(Response)> deliver) {
      auto left = std::make_shared<std::atomic<size_t>>(active.size());
      for (const auto& run_id : active) {
        s->deps.runs.OnFinished(run_id, [left, finish, deliver](const store::RunRecord&) {
          if (left->fetch_sub(1) == 1) deliver(finish());
        });
      }
    };
    return r;
  }));

  // Settings.
  // Settings, with the machine's own maxima (read-only) beside them.
  auto settings_json = [s](const ServerSettings& settings) {
    json::object o = SettingsToJson(settings);
    o["machine_limits"] = LimitsToJson(s->deps.max_limits);
    return o;
  };
  router.Add("GET", "/api/v1/admin/settings", admin([s, settings_json](Request&) { return Ok(settings_json(s->Settings())); }));
  router.Add("PUT", "/api/v1/admin/settings", admin([s, settings_json](Request& req) {
    auto parsed = ParseJson(req.body);
    if (!parsed) return ErrorResponse(parsed.error());
    const json::value& v = *parsed;
    auto next = SettingsFromJson(v, s->Settings());
    if (!next) return ErrorResponse(next.error());
    // No maximum above what the machine can give one run.
    if (auto st = WithinMachine(*s, "max_limits", LimitsToJson(next->max_limits), next->max_limits); !st)
      return ErrorResponse(st.error());
    for (const auto& [role, limits] : next->role_max_limits) {
      if (auto st = WithinMachine(*s, "role_max_limits." + role, limits, next->max_limits); !st) return ErrorResponse(st.error());
    }
    if (auto st = s->deps.store.PutSetting("settings", JsonText(SettingsToJson(*next))); !st)
      return ErrorResponse(st.error());
    {
      std::lock_guard lock(s->settings_mu);
      s->settings = *next;
    }
    s->deps.runs.SetStoragePolicy(next->storage);
    return Ok(settings_json(*next));
  }));

  // The global FAQ.
  router.Add("PUT", "/api/v1/admin/faq", admin([s](Request& req) {
    auto parsed = ParseJson(req.body);
    if (!parsed) return ErrorResponse(parsed.error());
    const json::value& v = *parsed;
    if (!v.is_array() || v.as_array().size() > 200) return Invalid("the FAQ is a list of at most 200 {question, answer}");
    std::vector<runtime::FaqEntry> faq;
    json::array out;
    for (const auto& e : v.as_array()) {
      const auto* o = e.if_object();
      const auto* q = o ? o->if_contains("question") : nullptr;
      const auto* a = o ? o->if_contains("answer") : nullptr;
      if (!q || !a || !q->is_string() || !a->is_string() || q->as_string().empty() || q->as_string().size() > 1000 ||
          a->as_string().size() > 10000)
        return Invalid("each FAQ entry is {question (1-1000 characters), answer (up to 10000)}");
      faq.push_back({std::string(q->as_string()), std::string(a->as_string())});
      out.push_back(json::object{{"question", faq.back().question}, {"answer", faq.back().answer}});
    }
    if (auto st = s->deps.store.PutSetting("faq", JsonText(out)); !st) return ErrorResponse(st.error());
    std::lock_guard lock(s->catalog_mu);
    s->deps.catalog.SetFaq(std::move(faq));
    return Ok(out);
  }), 4 << 20);

  // Runtimes: their full definitions, in the runtimes/*.json form.
  router.Add("GET", "/api/v1/admin/runtimes", admin([s](Request&) {
    json::array out;
    std::vector<runtime::Runtime> all;
    {
      std::lock_guard lock(s->catalog_mu);
      all = s->deps.catalog.runtimes();
    }
    for (const auto& rt : all) out.push_back(AdminRuntimeJson(*s, rt));
    return Ok(out);
  }));
  router.Add("GET", "/api/v1/admin/runtimes/{id}", admin([s](Request& req) {
    auto rt = s->FindRuntime(req.params["id"]);
    if (!rt) return ErrorResponse(404, "not_found", "no runtime " + req.params["id"]);
    return Ok(AdminRuntimeJson(*s, *rt));
  }));
  // Changes re-check the runtime (it may run its toolchain): off the HTTP threads.
  router.Add("POST", "/api/v1/admin/runtimes", OnWorkers(s, &ApiState::checkers, "too many runtime checks at once", admin([s](Request& req) {
    auto rt = ParseDefinition(req.body);
    if (!rt) return ErrorResponse(rt.error());
    if (s->FindRuntime(rt->id)) return ErrorResponse(409, "conflict", "runtime " + rt->id + " exists; PUT to change it");
    if (auto st = PutRuntime(*s, *rt); !st) return ErrorResponse(st.error());
    return Ok(AdminRuntimeJson(*s, *rt), 201);
  })), 1 << 20);
  router.Add("PUT", "/api/v1/admin/runtimes/{id}", OnWorkers(s, &ApiState::checkers, "too many runtime checks at once", admin([s](Request& req) {
    auto rt = ParseDefinition(req.body);
    if (!rt) return ErrorResponse(rt.error());
    if (rt->id != req.params["id"]) return Invalid("the definition's id must be " + req.params["id"]);
    if (auto st = PutRuntime(*s, *rt); !st) return ErrorResponse(st.error());
    return Ok(AdminRuntimeJson(*s, *rt));
  })), 1 << 20);
  router.Add("DELETE", "/api/v1/admin/runtimes/{id}", admin([s](Request& req) {
    // Disabled, not forgotten: projects keep naming it, and it can be enabled again.
    auto rt = s->FindRuntime(req.params["id"]);
    if (!rt) return ErrorResponse(404, "not_found", "no runtime " + req.params["id"]);
    json::value def = DefinitionJson(*rt);
    def.as_object()["enabled"] = false;
    auto disabled = runtime::Catalog::ParseRuntime(JsonText(def));
    if (!disabled) return ErrorResponse(disabled.error());
    if (auto st = PutRuntime(*s, *disabled); !st) return ErrorResponse(st.error());
    return NoContent();
  }));

  // Platforms: where runs execute. The configured ones (runlet serve --platforms), the
  // default (stored under "platforms", restored at start) and their health, checked on
  // the checkers (a hung engine's check waits seconds).
  router.Add("GET", "/api/v1/admin/platforms",
             admin(OnWorkers(s, &ApiState::checkers, "too many health checks at once", [s](Request&) {
    json::array out;
    for (const auto& p : s->deps.platforms.Describe()) {
      out.push_back(json::object{{"name", p.name},
                                 {"default", p.is_default},
                                 {"started", p.started},
                                 {"healthy", p.started && p.health.ok},
                                 {"detail", p.health.detail}});
    }
    return Ok(out);
  })));
  // Starting a platform pings its engine (seconds if it hangs): on the checkers too.
  router.Add("PUT", "/api/v1/admin/platforms",
             admin(OnWorkers(s, &ApiState::checkers, "too many platform changes at once", [s](Request& req) {
    auto body = ParseObject(req.body);
    if (!body) return ErrorResponse(body.error());
    std::string error;
    auto def = OptString(*body, "default", error);
    if (!error.empty()) return Invalid(error);
    if (!def) return Invalid("default (a platform name) is required");
    if (!s->deps.platforms.Has(*def)) {
      std::string have;
      for (const auto& name : s->deps.platforms.Names()) have += (have.empty() ? "" : ", ") + name;
      return Unprocessable("unknown_platform",
                           "platform " + *def + " is not configured on this server (have: " + have + ")");
    }
    // Started and healthy first: new runs go there as soon as this answers.
    if (auto st = s->deps.platforms.SetDefault(*def); !st) return Unprocessable("platform_unavailable", st.error().message);
    if (auto st = s->deps.store.PutSetting("platforms", JsonText(json::object{{"default", *def}})); !st)
      return ErrorResponse(st.error());
    return Ok(json::object{{"default", *def}});
  })));
}

}  // namespace runlet::api
