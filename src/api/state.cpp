#include "api/state.h"

#include <algorithm>
#include <cstdlib>

#include "core/result_json.h"

#include "core/environment.h"
#include "core/utf8.h"
#include "runtime/catalog.h"
#include "runtime/job.h"

namespace runlet::api {

ApiState::ApiState(ApiDeps d)
    : deps(std::move(d)),
      limiter(deps.request_rate, deps.request_burst),
      metrics_limiter(deps.metrics_rate, deps.metrics_burst),
      codes(auth::Throttle::Policy{}),
      hashers(deps.password_threads, deps.password_queue),
      checkers(2, 16) {
  settings.max_limits = DefaultUserMaxLimits(deps.max_limits);
  settings.default_quota.concurrent_runs = 0;
  settings.default_quota.projects = 100;
  settings.default_quota.stored_bytes = 256ull << 20;
  if (auto stored = deps.store.GetSetting("settings"); stored && *stored) {
    boost::system::error_code ec;
    auto doc = json::parse(**stored, ec);
    if (!ec && doc.is_object()) {
      // Before 0.2.3 the users' maxima were the absolute ones (MaxLimits) unless the
      // admin changed them: those stored values mean "not set".
      if (auto* m = doc.as_object().if_contains("max_limits"); m && *m == json::value(LimitsJson(MaxLimits())))
        doc.as_object().erase("max_limits");
      if (auto parsed = SettingsFromJson(doc, settings)) settings = *parsed;
    }
    // Maxima stored when the machine was larger stay within this one.
    settings.max_limits = ClampLimits(settings.max_limits, deps.max_limits);
  }
  if (auto stored = deps.store.ListSettings("max_limits:user:"); stored) {
    for (const auto& [key, text] : *stored) {
      boost::system::error_code ec;
      auto doc = json::parse(text, ec);
      const int64_t id = std::atoll(key.substr(key.rfind(':') + 1).c_str());
      if (!ec && doc.is_object() && id > 0) user_max_limits[id] = doc.as_object();
    }
  }
  deps.runs.SetStoragePolicy(settings.storage);
  if (auto stored = deps.store.GetSetting("faq"); stored && *stored) {
    boost::system::error_code ec;
    auto doc = json::parse(**stored, ec);
    if (!ec && doc.is_array()) {
      std::vector<runtime::FaqEntry> faq;
      for (const auto& e : doc.as_array()) {
        if (!e.is_object()) continue;
        const auto* q = e.as_object().if_contains("question");
        const auto* a = e.as_object().if_contains("answer");
        if (q && a && q->is_string() && a->is_string()) faq.push_back({std::string(q->as_string()), std::string(a->as_string())});
      }
      deps.catalog.SetFaq(std::move(faq));
    }
  }
  // Runtimes the admin added or changed, over the files'.
  if (auto stored = deps.store.ListSettings("runtime:"); stored) {
    for (const auto& [key, text] : *stored) {
      if (auto rt = runtime::Catalog::ParseRuntime(text)) deps.catalog.Add(std::move(*rt));
    }
  }
}

std::optional<runtime::Runtime> ApiState::FindRuntime(const std::string& id) {
  std::lock_guard lock(catalog_mu);
  const runtime::Runtime* rt = deps.catalog.Find(id);
  if (!rt) return std::nullopt;
  return *rt;
}

std::string ApiState::Unavailable(const std::string& runtime_id) {
  std::lock_guard lock(catalog_mu);
  auto it = deps.unavailable.find(runtime_id);
  return it == deps.unavailable.end() ? std::string() : it->second;
}

json::object ApiState::RuntimeToJson(const runtime::Runtime& rt) {
  json::object o{{"id", rt.id},        {"language", rt.language}, {"name", rt.name}, {"os", rt.os},
                 {"arch", rt.arch},    {"description", rt.description}, {"main_file", rt.main_file}};
  auto v = deps.versions.find(rt.id);
  o["version"] = v != deps.versions.end() && !v->second.empty() ? v->second : rt.version;
  json::array ext;
  for (const auto& e : rt.extensions) ext.emplace_back(e);
  o["extensions"] = ext;
  json::array faq;
  for (const auto& f : rt.faq) faq.push_back(json::object{{"question", f.question}, {"answer", f.answer}});
  o["faq"] = faq;
  // Users are told that it cannot run, not the operator's fix (GET /admin/runtimes has it).
  const bool available = deps.unavailable.find(rt.id) == deps.unavailable.end();
  o["available"] = available;
  if (!available) o["problem"] = kRuntimeUnavailable;
  return o;
}

ServerSettings ApiState::Settings() {
  std::lock_guard lock(settings_mu);
  return settings;
}

Result<std::shared_ptr<void>> ApiState::TakeStreamSlot(int64_t user_id) {
  const int max = Settings().sse_streams_per_user;
  std::lock_guard lock(streams_mu);
  int& open = streams[user_id];
  if (max > 0 && open >= max) {
    return Fail(ErrorKind::kTooMany, "you have " + std::to_string(open) + " event streams open (the limit is " +
                                         std::to_string(max) + "); close one first");
  }
  ++open;
  return std::shared_ptr<void>(nullptr, [this, user_id](void*) {
    std::lock_guard lock(streams_mu);
    if (--streams[user_id] <= 0) streams.erase(user_id);
  });
}

store::Quota ApiState::QuotaFor(const Principal& who) {
  const ServerSettings settings_now = Settings();
  store::Quota def = settings_now.default_quota;
  // The role's fields over the default's.
  if (auto role = settings_now.role_quotas.find(who.role); role != settings_now.role_quotas.end()) {
    const store::Quota& r = role->second;
    if (r.concurrent_runs > 0) def.concurrent_runs = r.concurrent_runs;
    if (r.cpus > 0) def.cpus = r.cpus;
    if (r.memory_bytes > 0) def.memory_bytes = r.memory_bytes;
    if (r.disk_bytes > 0) def.disk_bytes = r.disk_bytes;
    if (r.time_ms > 0) def.time_ms = r.time_ms;
    if (r.projects > 0) def.projects = r.projects;
    if (r.stored_bytes > 0) def.stored_bytes = r.stored_bytes;
  }
  store::Quota q = who.quota;
  if (q.concurrent_runs <= 0) q.concurrent_runs = def.concurrent_runs;
  if (q.cpus <= 0) q.cpus = def.cpus;
  if (q.memory_bytes == 0) q.memory_bytes = def.memory_bytes;
  if (q.disk_bytes == 0) q.disk_bytes = def.disk_bytes;
  if (q.time_ms <= 0) q.time_ms = def.time_ms;
  if (q.projects <= 0) q.projects = def.projects;
  if (q.stored_bytes == 0) q.stored_bytes = def.stored_bytes;
  return q;
}

Status ParseArgs(const json::object& o, std::vector<std::string>& args) {
  auto* list = o.if_contains("args");
  if (!list || list->is_null()) return {};
  if (!list->is_array() || list->as_array().size() > 256) return Fail(ErrorKind::kInvalid, "args must be a list of at most 256 strings");
  for (const auto& a : list->as_array()) {
    if (!a.is_string()) return Fail(ErrorKind::kInvalid, "args must be a list of strings");
    std::string arg(a.as_string());
    if (arg.find('\0') != std::string::npos) return Fail(ErrorKind::kInvalid, "args may not contain NUL");
    args.push_back(std::move(arg));
  }
  return {};
}

Limits ApiState::DefaultLimitsFor(const runtime::Runtime& rt) {
  const json::value defaults = Settings().default_limits;
  auto l = runtime::ParseLimitsJson(&defaults, rt.run_limits);
  return l ? *l : rt.run_limits;  // checked when the admin set them
}

Limits ApiState::MaxLimitsFor(int64_t user_id, const std::string& role) {
  std::lock_guard lock(settings_mu);
  Limits max = settings.max_limits;
  // Both were checked when the admin set them; a value that no longer parses is skipped.
  if (auto it = settings.role_max_limits.find(role); it != settings.role_max_limits.end()) {
    const json::value v = it->second;
    if (auto l = runtime::ParseLimitsJson(&v, max)) max = *l;
  }
  if (auto it = user_max_limits.find(user_id); it != user_max_limits.end()) {
    const json::value v = it->second;
    if (auto l = runtime::ParseLimitsJson(&v, max)) max = *l;
  }
  return ClampLimits(max, deps.max_limits);
}

Limits ApiState::LimitsFor(const Principal& who, Limits wanted) {
  Limits l = ClampLimits(wanted, MaxLimitsFor(who.user_id, who.role));
  const store::Quota q = QuotaFor(who);
  if (q.disk_bytes > 0) l.disk_bytes = std::min(l.disk_bytes, q.disk_bytes);
  if (q.time_ms > 0) {
    l.cpu_time = std::min(l.cpu_time, std::chrono::milliseconds(q.time_ms));
    l.wall_time = std::min(l.wall_time, std::chrono::milliseconds(q.time_ms));
  }
  if (q.memory_bytes > 0) l.memory_bytes = std::min(l.memory_bytes, q.memory_bytes);
  if (q.cpus > 0) l.cpus = std::min(l.cpus, q.cpus);
  return l;
}

Result<Principal> ApiState::AnonymousPrincipal() {
  // "!" is no password hash: nothing logs in as this account.
  constexpr const char* kNoPassword = "!";
  auto user = deps.store.FindUser(kAnonymousUser);
  if (!user) return tl::unexpected(user.error());
  if (!*user) {
    store::User u;
    u.username = kAnonymousUser;
    u.password_hash = kNoPassword;
    u.role = "user";
    u.created_at = store::NowRfc3339();
    (void)deps.store.CreateUser(u);  // another request may have made it meanwhile
    user = deps.store.FindUser(kAnonymousUser);
    if (!user) return tl::unexpected(user.error());
    if (!*user) return Fail(ErrorKind::kInternal, "cannot make the anonymous account");
  }
  const store::User& u = **user;
  if (u.password_hash != kNoPassword || u.role != "user")
    return Fail(ErrorKind::kUnavailable, "anonymous use is off: an account named anonymous exists and is a user's own, not the built-in one; the admin must rename or delete it");
  if (u.disabled) return Fail(ErrorKind::kForbidden, "anonymous runs are switched off for now");
  Principal p;
  p.user_id = u.id;
  p.username = u.username;
  p.role = u.role;
  p.kind = "anonymous";
  p.quota = u.quota;
  return p;
}

void ApiState::ApplyQuota(const Principal& who, runs::RunRequest& run) {
  const store::Quota q = QuotaFor(who);
  run.user_id = who.user_id;
  run.quota.concurrent_runs = q.concurrent_runs;
  run.quota.memory_bytes = q.memory_bytes;
  run.quota.cpus = q.cpus;
}

Result<store::Project> ApiState::ProjectFor(const Request& req, const std::string& id, bool write) {
  auto p = deps.store.GetProject(id);
  if (!p) return tl::unexpected(p.error());
  const bool owner = *p && req.principal && (**p).owner_id == req.principal->user_id;
  // Unlisted projects are read by link as public ones are; only the gallery differs.
  if (!*p || (!owner && (**p).visibility != "public" && (**p).visibility != "unlisted"))
    return Fail(ErrorKind::kNotFound, "no project " + id);
  if (write && !owner) {
    if (!req.principal) return Fail(ErrorKind::kUnauthorized, "log in to change projects");
    return Fail(ErrorKind::kForbidden, "only its owner may change project " + id);
  }
  return **p;
}

json::object ApiState::ProjectJson(const store::Project& p, const Request& req) {
  json::object o{{"id", p.id},
                 {"name", p.name},
                 {"runtime", p.runtime},
                 {"visibility", p.visibility},
                 {"description", p.description},
                 {"run_count", p.run_count},
                 {"created_at", p.created_at},
                 {"updated_at", p.updated_at},
                 {"forked_from", nullptr},
                 {"forked_from_name", nullptr},
                 {"forked_from_owner", nullptr}};
  auto owner = deps.store.GetUser(p.owner_id);
  o["owner"] = owner && *owner ? json::value((**owner).username) : json::value(nullptr);
  const bool is_owner = req.principal && req.principal->user_id == p.owner_id;
  // Where it was forked from: told to the fork's owner, and to others when the original
  // is public (an unlisted original's id is its secret link) or theirs; its name and
  // owner while it exists and may be read.
  if (!p.forked_from.empty()) {
    auto source = deps.store.GetProject(p.forked_from);
    const store::Project* src = source && *source ? &**source : nullptr;
    const bool source_owner = src && req.principal && req.principal->user_id == src->owner_id;
    if (is_owner || source_owner || (src && src->visibility == "public")) {
      o["forked_from"] = p.forked_from;
      if (src && (source_owner || src->visibility != "private")) {
        o["forked_from_name"] = src->name;
        auto src_owner = deps.store.GetUser(src->owner_id);
        if (src_owner && *src_owner) o["forked_from_owner"] = (**src_owner).username;
      }
    }
  }
  // Whether the sender may run it: the owner; anyone logged in when it is public or
  // unlisted; visitors too when the admin allows anonymous runs.
  o["can_run"] = is_owner || ((p.visibility == "public" || p.visibility == "unlisted") &&
                              (req.principal || Settings().anonymous_runs));
  if (is_owner) {
    json::object env;
    for (const auto& [k, v] : p.env) env[k] = v;
    o["env"] = env;
  }
  return o;
}

Result<store::RunRecord> ApiState::RunFor(const Request& req, const std::string& id, bool header_only) {
  auto run = header_only ? deps.store.GetRunHeader(id) : deps.store.GetRun(id);
  if (!run) return tl::unexpected(run.error());
  if (!*run || !req.principal || (**run).user_id != req.principal->user_id)
    return Fail(ErrorKind::kNotFound, "no run " + id);
  return **run;
}

// Parses one execute request into a run request.
Result<runs::RunRequest> ApiState::ParseExecute(const json::value& value, const Principal& who,
                                                const runtime::Runtime* runtime_override) {
  if (!value.is_object()) return Fail(ErrorKind::kInvalid, "an execute request must be a JSON object");
  const auto& o = value.as_object();
  std::string error;
  std::optional<runtime::Runtime> rt;
  if (runtime_override) {
    rt = *runtime_override;
  } else {
    auto runtime_id = OptString(o, "runtime", error);
    if (!error.empty()) return Fail(ErrorKind::kInvalid, error);
    if (!runtime_id) return Fail(ErrorKind::kInvalid, "runtime is required (see GET /api/v1/runtimes)");
    rt = FindRuntime(*runtime_id);
    if (!rt || !rt->enabled) return Fail(ErrorKind::kInvalid, "unknown runtime \"" + *runtime_id + "\"");
  }
  if (auto why = Unavailable(rt->id); !why.empty()) {
    return Fail(ErrorKind::kUnavailable, "runtime " + rt->id + ": " + (who.admin() ? why : kRuntimeUnavailable));
  }
  runtime::JobRequest request;
  auto* files = o.if_contains("files");
  if (!files || !files->is_array() || files->as_array().empty())
    return Fail(ErrorKind::kInvalid, "files must be a non-empty list of {name, content}");
  if (files->as_array().size() > deps.project_limits.files)
    return Fail(ErrorKind::kTooLarge, "too many files (at most " + std::to_string(deps.project_limits.files) + ")");
  for (const auto& f : files->as_array()) {
    if (!f.is_object()) return Fail(ErrorKind::kInvalid, "each file must be {name, content}");
    auto name = OptString(f.as_object(), "name", error);
    auto content = OptString(f.as_object(), "content", error);
    if (!error.empty()) return Fail(ErrorKind::kInvalid, error);
    if (!name) return Fail(ErrorKind::kInvalid, "each file needs a name");
    if (auto why = CheckRelativePath(*name); !why.empty())
      return Fail(ErrorKind::kInvalid, "file name \"" + SanitizeUtf8(*name) + "\": " + why);
    for (const auto& existing : request.files) {
      if (existing.path == *name) return Fail(ErrorKind::kInvalid, "file " + *name + " is given twice");
    }
    request.files.push_back({*name, content.value_or(""), false});
  }
  // The runtime's main file if present, else the first file.
  request.main_file = request.files.front().path;
  for (const auto& f : request.files) {
    if (f.path == rt->main_file) request.main_file = f.path;
  }
  // Or the one the request names.
  if (auto main = OptString(o, "main", error)) {
    if (std::none_of(request.files.begin(), request.files.end(), [&](const InputFile& f) { return f.path == *main; }))
      return Fail(ErrorKind::kInvalid, "main names no file of the request: \"" + SanitizeUtf8(*main) + "\"");
    request.main_file = *main;
  }
  if (!error.empty()) return Fail(ErrorKind::kInvalid, error);
  if (auto stdin_data = OptString(o, "stdin", error)) request.stdin_data = *stdin_data;
  if (!error.empty()) return Fail(ErrorKind::kInvalid, error);
  if (auto st = ParseArgs(o, request.args); !st) return tl::unexpected(st.error());
  if (auto* env = o.if_contains("env"); env && !env->is_null()) {
    if (!env->is_object()) return Fail(ErrorKind::kInvalid, "env must be an object of strings");
    for (const auto& [k, v] : env->as_object()) {
      if (!v.is_string() || !ValidEnvName(std::string(k)))
        return Fail(ErrorKind::kInvalid, "env must map names ([A-Za-z_][A-Za-z0-9_]*) to strings");
      std::string value(v.as_string());
      if (auto why = CheckEnvVariable(k, value); !why.empty()) return Fail(ErrorKind::kInvalid, "env: " + why);
      request.env.push_back(std::string(k) + "=" + value);
    }
  }
  auto limits = runtime::ParseLimitsJson(o.if_contains("limits"), DefaultLimitsFor(*rt));
  if (!limits) return Fail(ErrorKind::kInvalid, limits.error().message);
  request.run_limits = LimitsFor(who, *limits);
  request.build_limits = LimitsFor(who, rt->build_limits);
  auto job = runtime::MakeJob(*rt, request);
  if (!job) return Fail(ErrorKind::kInvalid, job.error().message);
  runs::RunRequest run;
  ApplyQuota(who, run);
  run.runtime_id = rt->id;
  run.job = std::move(*job);
  return run;
}


}  // namespace runlet::api
