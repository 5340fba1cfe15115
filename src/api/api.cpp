#include "api/api.h"

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>

#include "core/result_json.h"
#include "core/utf8.h"
#include "runtime/job.h"

namespace runlet::api {
namespace json = boost::json;
namespace {

constexpr int64_t kLocalUser = 1;  // until accounts exist, the API acts as one local user

Response Ok(const json::value& v, int status = 200) { return Json(status, json::serialize(v)); }

Response Invalid(const std::string& message) { return ErrorResponse(400, "invalid_request", message); }
Response Unprocessable(const std::string& code, const std::string& message) {
  return ErrorResponse(422, code, message);
}

Result<json::object> ParseObject(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return Fail(ErrorKind::kInvalid, "malformed JSON: " + ec.message());
  if (!v.is_object()) return Fail(ErrorKind::kInvalid, "expected a JSON object");
  return std::move(v.as_object());
}

std::optional<std::string> OptString(const json::object& o, const char* key, std::string& error) {
  auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string()) {
    error = std::string(key) + " must be a string";
    return std::nullopt;
  }
  return std::string(v->as_string());
}

Limits Clamp(Limits l, const Limits& max) {
  l.cpu_time = std::min(l.cpu_time, max.cpu_time);
  l.wall_time = std::min(l.wall_time, max.wall_time);
  l.memory_bytes = std::min(l.memory_bytes, max.memory_bytes);
  l.pids = std::min(l.pids, max.pids);
  l.output_bytes = std::min(l.output_bytes, max.output_bytes);
  l.disk_bytes = std::min(l.disk_bytes, max.disk_bytes);
  l.disk_inodes = std::min(l.disk_inodes, max.disk_inodes);
  l.cpus = std::min(l.cpus, max.cpus);
  l.open_files = std::min(l.open_files, max.open_files);
  return l;
}

json::object RunToJson(const store::RunRecord& r) {
  json::object o = ResultToJson(r.result, r.build ? &*r.build : nullptr);
  o["id"] = r.id;
  o["project_id"] = r.project_id.empty() ? json::value(nullptr) : json::value(r.project_id);
  o["version_id"] = r.version_id.empty() ? json::value(nullptr) : json::value(r.version_id);
  o["runtime"] = r.runtime;
  o["platform"] = r.platform;
  o["created_at"] = r.created_at;
  o["started_at"] = r.started_at.empty() ? json::value(nullptr) : json::value(r.started_at);
  o["finished_at"] = r.finished_at.empty() ? json::value(nullptr) : json::value(r.finished_at);
  if (!IsFinal(r.result.status)) {
    // Not known yet.
    o["exit_code"] = nullptr;
    o["signal"] = nullptr;
  }
  return o;
}

json::object ProjectToJson(const store::Project& p, bool owner) {
  json::object o{{"id", p.id},           {"name", p.name},           {"runtime", p.runtime},
                 {"visibility", p.visibility}, {"created_at", p.created_at}, {"updated_at", p.updated_at},
                 {"forked_from", p.forked_from.empty() ? json::value(nullptr) : json::value(p.forked_from)}};
  if (owner) {
    json::object env;
    for (const auto& [k, v] : p.env) env[k] = v;
    o["env"] = env;
  }
  return o;
}

json::object EntryToJson(const store::LogEntry& e) {
  return {{"seq", e.seq},
          {"stream", e.stream == Stream::kStdout ? "stdout" : "stderr"},
          {"text", SanitizeUtf8(e.text)},
          {"time", e.time}};
}

bool ValidEnvName(const std::string& name) {
  if (name.empty() || name.size() > 128 || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Server-sent events for one run: log entries (id = seq), status changes, then end.
class RunEvents final : public EventSource {
 public:
  RunEvents(store::Store& store, runs::RunManager& runs, Metrics& metrics, std::string run_id, int64_t after)
      : store_(store), runs_(runs), metrics_(metrics), run_id_(std::move(run_id)), last_seq_(after) {
    metrics_.AddSseClients(1);
  }
  ~RunEvents() override {
    if (watch_) runs_.Unwatch(watch_);
    metrics_.AddSseClients(-1);
  }

  void SetWake(std::function<void()> wake) override { watch_ = runs_.Watch(run_id_, std::move(wake)); }

  Chunk Next() override {
    Chunk chunk;
    // Status first: once it is final, every log entry is already in the store.
    auto run = store_.GetRun(run_id_);
    if (!run || !*run) {
      chunk.text = "event: end\ndata: {\"error\":\"not_found\"}\n\n";
      chunk.done = true;
      return chunk;
    }
    const auto& record = **run;
    const bool final = IsFinal(record.result.status);
    const std::string status(StatusName(record.result.status));
    auto send_status = [&] {
      if (status == sent_status_) return;
      chunk.text += "event: status\ndata: " + json::serialize(json::object{{"status", status}}) + "\n\n";
      sent_status_ = status;
    };
    if (!final) send_status();  // a phase change comes before the output of that phase
    constexpr int kPage = 500;
    auto entries = store_.ReadLogs(run_id_, last_seq_, kPage);
    if (entries) {
      for (const auto& e : *entries) {
        chunk.text += "id: " + std::to_string(e.seq) + "\nevent: log\ndata: " + json::serialize(EntryToJson(e)) + "\n\n";
        last_seq_ = e.seq;
      }
    }
    if (final && entries && static_cast<int>(entries->size()) < kPage) {
      // Every entry has been sent: the final status, then the result.
      send_status();
      chunk.text += "event: end\ndata: " + json::serialize(RunToJson(record)) + "\n\n";
      chunk.done = true;
    }
    return chunk;
  }

 private:
  store::Store& store_;
  runs::RunManager& runs_;
  Metrics& metrics_;
  std::string run_id_;
  int64_t last_seq_;
  std::string sent_status_;
  uint64_t watch_ = 0;
};

// The longest prefix of `data` that does not end inside a UTF-8 sequence; the rest is
// kept for the next chunk so that characters split between reads arrive whole.
size_t CompleteUtf8Prefix(std::string_view data) {
  size_t n = data.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const unsigned char c = static_cast<unsigned char>(data[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: look further back
    const size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

// WebSocket attach: the program's output as it comes ({"type":"output","stream","data"}),
// status changes, then {"type":"end", result}; the client sends {"stdin": "..."} and
// {"eof": true}.
class RunAttach final : public MessageChannel {
 public:
  static constexpr size_t kMaxQueued = 1 << 20;

  RunAttach(store::Store& store, runs::RunManager& runs, Metrics& metrics, std::string run_id)
      : store_(store), runs_(runs), metrics_(metrics), run_id_(std::move(run_id)) {
    metrics_.AddWebSocketClients(1);
  }
  ~RunAttach() override {
    if (subscription_) runs_.Unsubscribe(subscription_);
    if (watch_) runs_.Unwatch(watch_);
    metrics_.AddWebSocketClients(-1);
  }

  void SetWake(std::function<void()> wake) override {
    {
      std::lock_guard lock(mu_);
      wake_ = wake;
    }
    watch_ = runs_.Watch(run_id_, wake);
    subscription_ = runs_.SubscribeOutput(run_id_, [this](Stream stream, std::string_view data) {
      std::function<void()> wake_now;
      {
        std::lock_guard lock(mu_);
        std::string& carry = carry_[stream == Stream::kStdout ? 0 : 1];
        carry.append(data);
        const size_t complete = CompleteUtf8Prefix(carry);
        if (complete == 0) return;
        if (queued_bytes_ > kMaxQueued) {
          dropped_ = true;  // a slow client misses output rather than growing the server
        } else {
          queued_bytes_ += complete;
          queue_.push_back(json::serialize(json::object{{"type", "output"},
                                                        {"stream", stream == Stream::kStdout ? "stdout" : "stderr"},
                                                        {"data", SanitizeUtf8(std::string_view(carry).substr(0, complete))}}));
        }
        carry.erase(0, complete);
        wake_now = wake_;
      }
      if (wake_now) wake_now();
    });
  }

  Batch Next() override {
    Batch batch;
    {
      std::lock_guard lock(mu_);
      if (dropped_) {
        batch.messages.push_back(R"({"type":"dropped","message":"output was dropped: the connection is too slow"})");
        dropped_ = false;
      }
      for (auto& m : queue_) batch.messages.push_back(std::move(m));
      queue_.clear();
      queued_bytes_ = 0;
      for (auto& m : replies_) batch.messages.push_back(std::move(m));
      replies_.clear();
    }
    auto run = store_.GetRun(run_id_);
    if (!run || !*run) {
      batch.messages.push_back(R"({"type":"error","message":"no such run"})");
      batch.done = true;
      return batch;
    }
    const std::string status(StatusName((**run).result.status));
    if (status != sent_status_) {
      batch.messages.push_back(json::serialize(json::object{{"type", "status"}, {"status", status}}));
      sent_status_ = status;
    }
    if (IsFinal((**run).result.status)) {
      json::object end{{"type", "end"}, {"result", RunToJson(**run)}};
      batch.messages.push_back(json::serialize(end));
      batch.done = true;
    }
    return batch;
  }

  void OnMessage(std::string_view text) override {
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    Status st;
    if (ec || !v.is_object()) {
      st = Fail(ErrorKind::kInvalid, "messages must be {\"stdin\": \"...\"} or {\"eof\": true}");
    } else if (auto* in = v.as_object().if_contains("stdin"); in && in->is_string()) {
      st = runs_.SendInput(run_id_, std::string_view(in->as_string()));
    } else if (auto* eof = v.as_object().if_contains("eof"); eof && eof->is_bool() && eof->as_bool()) {
      st = runs_.CloseInput(run_id_);
    } else {
      st = Fail(ErrorKind::kInvalid, "messages must be {\"stdin\": \"...\"} or {\"eof\": true}");
    }
    if (!st) {
      std::function<void()> wake_now;
      {
        std::lock_guard lock(mu_);
        replies_.push_back(json::serialize(json::object{{"type", "error"}, {"message", st.error().message}}));
        wake_now = wake_;
      }
      if (wake_now) wake_now();
    }
  }

 private:
  store::Store& store_;
  runs::RunManager& runs_;
  Metrics& metrics_;
  std::string run_id_;
  std::mutex mu_;
  std::function<void()> wake_;
  std::vector<std::string> queue_, replies_;
  std::string carry_[2];
  size_t queued_bytes_ = 0;
  bool dropped_ = false;
  std::string sent_status_;
  uint64_t watch_ = 0, subscription_ = 0;
};

}  // namespace

struct Api::State {
  explicit State(ApiDeps d)
      : deps(std::move(d)), limiter(deps.request_rate, deps.request_burst) {}
  ApiDeps deps;
  RateLimiter limiter;
  std::mutex catalog_mu;

  const runtime::Runtime* FindRuntime(const std::string& id) {
    std::lock_guard lock(catalog_mu);
    return deps.catalog.Find(id);
  }

  json::object RuntimeToJson(const runtime::Runtime& rt) {
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
    auto u = deps.unavailable.find(rt.id);
    o["available"] = u == deps.unavailable.end();
    if (u != deps.unavailable.end()) o["problem"] = u->second;
    return o;
  }

  // Parses one execute request into a run request.
  Result<runs::RunRequest> ParseExecute(const json::value& value) {
    if (!value.is_object()) return Fail(ErrorKind::kInvalid, "an execute request must be a JSON object");
    const auto& o = value.as_object();
    std::string error;
    auto runtime_id = OptString(o, "runtime", error);
    if (!error.empty()) return Fail(ErrorKind::kInvalid, error);
    if (!runtime_id) return Fail(ErrorKind::kInvalid, "runtime is required (see GET /api/v1/runtimes)");
    const runtime::Runtime* rt = FindRuntime(*runtime_id);
    if (!rt || !rt->enabled) return Fail(ErrorKind::kInvalid, "unknown runtime \"" + *runtime_id + "\"");
    if (deps.unavailable.count(rt->id)) {
      return Fail(ErrorKind::kUnavailable, "runtime " + rt->id + " is not available: " + deps.unavailable[rt->id]);
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
    if (auto stdin_data = OptString(o, "stdin", error)) request.stdin_data = *stdin_data;
    if (!error.empty()) return Fail(ErrorKind::kInvalid, error);
    if (auto* args = o.if_contains("args"); args && !args->is_null()) {
      if (!args->is_array()) return Fail(ErrorKind::kInvalid, "args must be a list of strings");
      for (const auto& a : args->as_array()) {
        if (!a.is_string()) return Fail(ErrorKind::kInvalid, "args must be a list of strings");
        std::string arg(a.as_string());
        if (arg.find('\0') != std::string::npos) return Fail(ErrorKind::kInvalid, "args may not contain NUL");
        request.args.push_back(std::move(arg));
      }
    }
    if (auto* env = o.if_contains("env"); env && !env->is_null()) {
      if (!env->is_object()) return Fail(ErrorKind::kInvalid, "env must be an object of strings");
      for (const auto& [k, v] : env->as_object()) {
        if (!v.is_string() || !ValidEnvName(std::string(k)))
          return Fail(ErrorKind::kInvalid, "env must map names ([A-Za-z_][A-Za-z0-9_]*) to strings");
        std::string value(v.as_string());
        if (value.find('\0') != std::string::npos) return Fail(ErrorKind::kInvalid, "env values may not contain NUL");
        request.env.push_back(std::string(k) + "=" + value);
      }
    }
    auto limits = runtime::ParseLimitsJson(o.if_contains("limits"), rt->run_limits);
    if (!limits) return Fail(ErrorKind::kInvalid, limits.error().message);
    request.run_limits = Clamp(*limits, deps.max_limits);
    auto job = runtime::MakeJob(*rt, request);
    if (!job) return Fail(ErrorKind::kInvalid, job.error().message);
    runs::RunRequest run;
    run.user_id = kLocalUser;
    run.runtime_id = rt->id;
    run.job = std::move(*job);
    return run;
  }

  Result<store::Project> OwnProject(const std::string& id) {
    auto p = deps.store.GetProject(id);
    if (!p) return tl::unexpected(p.error());
    if (!*p || (**p).owner_id != kLocalUser) return Fail(ErrorKind::kNotFound, "no project " + id);
    return **p;
  }
};

Api::Api(ApiDeps deps) : state_(std::make_shared<State>(std::move(deps))) {}

void Api::Register(Router& router) {
  auto s = state_;
  auto& d = s->deps;

  router.SetGuard([s](Request& req) -> std::optional<Response> {
    if (req.path.rfind("/api/", 0) != 0) return std::nullopt;
    std::chrono::seconds retry{1};
    if (!s->limiter.Allow("user:" + std::to_string(kLocalUser), retry) ||
        !s->limiter.Allow("address:" + req.remote_address, retry)) {
      Response r = ErrorResponse(429, "rate_limited", "too many requests; slow down");
      for (auto& [k, v] : r.headers) {
        if (k == "Retry-After") v = std::to_string(std::max<long>(1, retry.count()));
      }
      return r;
    }
    return std::nullopt;
  });

  router.Add("GET", "/healthz", [s](Request&) {
    auto health = s->deps.platform.Check();
    auto stats = s->deps.runs.GetStats();
    return Ok(json::object{{"status", health.ok ? "ok" : "degraded"},
                           {"platform", std::string(s->deps.platform.Name())},
                           {"detail", health.detail},
                           {"runs_executing", stats.executing},
                           {"runs_queued", stats.queued},
                           {"uptime_seconds", s->deps.runs.seconds_up()}},
              health.ok ? 200 : 503);
  });
  router.Add("GET", "/metrics", [s](Request&) {
    auto stats = s->deps.runs.GetStats();
    s->deps.metrics.SetActiveRuns(stats.executing, stats.queued);
    Response r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = s->deps.metrics.Serialize();
    return r;
  });

  router.Add("GET", "/api/v1/runtimes", [s](Request&) {
    json::array list;
    std::lock_guard lock(s->catalog_mu);
    for (const auto& rt : s->deps.catalog.runtimes()) {
      if (rt.enabled) list.push_back(s->RuntimeToJson(rt));
    }
    return Ok(list);
  });
  router.Add("GET", "/api/v1/faq", [s](Request&) {
    json::array list;
    std::lock_guard lock(s->catalog_mu);
    for (const auto& f : s->deps.catalog.faq()) list.push_back(json::object{{"question", f.question}, {"answer", f.answer}});
    return Ok(list);
  });

  // Stateless execution.
  router.Add("POST", "/api/v1/execute", [s](Request& req) {
    auto body = ParseObject(req.body);
    if (!body) return ErrorResponse(body.error());
    const bool wait = req.Query("wait", "true") != "false";
    auto run = s->ParseExecute(*body);
    if (!run) return ErrorResponse(run.error());
    std::string error;
    auto callback = OptString(*body, "callback_url", error);
    if (!error.empty()) return Invalid(error);
    if (callback) {
      if (!s->deps.check_callback) return ErrorResponse(403, "forbidden", "callbacks are not enabled on this server");
      if (auto st = s->deps.check_callback(*callback); !st) return ErrorResponse(st.error());
    }
    auto record = s->deps.runs.Submit(std::move(*run));
    if (!record) return ErrorResponse(record.error());
    if (callback && s->deps.send_callback) {
      s->deps.runs.OnFinished(record->id, [s, url = *callback](const store::RunRecord& rec) {
        s->deps.send_callback(url, json::serialize(RunToJson(rec)));
      });
    }
    if (!wait) return Ok(json::object{{"id", record->id}, {"status", "queued"}}, 202);
    Response r;
    const std::string id = record->id;
    r.deferred = [s, id](std::function<void(Response)> deliver) {
      s->deps.runs.OnFinished(id, [deliver](const store::RunRecord& rec) { deliver(Ok(RunToJson(rec))); });
    };
    return r;
  });
  router.Add("POST", "/api/v1/execute/batch", [s](Request& req) {
    boost::system::error_code ec;
    json::value v = json::parse(req.body, ec);
    if (ec) return Invalid("malformed JSON: " + ec.message());
    if (!v.is_array() || v.as_array().empty()) return Invalid("expected a non-empty JSON array of execute requests");
    if (v.as_array().size() > 64) return ErrorResponse(413, "too_large", "at most 64 requests in a batch");
    const bool wait = req.Query("wait", "true") != "false";
    std::vector<runs::RunRequest> parsed;
    for (size_t i = 0; i < v.as_array().size(); ++i) {
      auto run = s->ParseExecute(v.as_array()[i]);
      if (!run) return ErrorResponse(run.error().Wrap("request " + std::to_string(i)));
      parsed.push_back(std::move(*run));
    }
    std::vector<std::string> ids;
    json::array out;
    for (auto& run : parsed) {
      auto record = s->deps.runs.Submit(std::move(run));
      if (!record) {
        out.push_back(json::object{{"error", StatusForKind(record.error().kind) == 429 ? "too_many_requests" : "unavailable"},
                                   {"message", record.error().message}});
        ids.emplace_back();
      } else {
        out.push_back(json::object{{"id", record->id}, {"status", "queued"}});
        ids.push_back(record->id);
      }
    }
    if (!wait) return Ok(out, 202);
    Response r;
    r.deferred = [s, ids, out](std::function<void(Response)> deliver) {
      struct Gather {
        std::mutex mu;
        json::array results;
        size_t left;
        std::function<void(Response)> deliver;
      };
      auto g = std::make_shared<Gather>();
      g->results = out;
      g->left = ids.size();
      g->deliver = deliver;
      auto one_done = [g] {
        if (--g->left == 0) g->deliver(Ok(g->results));
      };
      for (size_t i = 0; i < ids.size(); ++i) {
        if (ids[i].empty()) {
          std::lock_guard lock(g->mu);
          one_done();
          continue;
        }
        s->deps.runs.OnFinished(ids[i], [g, i, one_done](const store::RunRecord& rec) {
          std::lock_guard lock(g->mu);
          g->results[i] = RunToJson(rec);
          one_done();
        });
      }
    };
    return r;
  });

  // Runs.
  router.Add("GET", "/api/v1/runs/{id}", [s](Request& req) {
    auto run = s->deps.store.GetRun(req.params["id"]);
    if (!run) return ErrorResponse(run.error());
    if (!*run || (**run).user_id != kLocalUser) return ErrorResponse(404, "not_found", "no run " + req.params["id"]);
    return Ok(RunToJson(**run));
  });
  router.Add("GET", "/api/v1/runs/{id}/logs", [s](Request& req) {
    const std::string id = req.params["id"];
    auto run = s->deps.store.GetRun(id);
    if (!run) return ErrorResponse(run.error());
    if (!*run || (**run).user_id != kLocalUser) return ErrorResponse(404, "not_found", "no run " + id);
    char* end = nullptr;
    const std::string after_text = req.Query("after", "0");
    const long long after = std::strtoll(after_text.c_str(), &end, 10);
    if (*end || after < 0) return Invalid("after must be a sequence number (0 or more)");
    const std::string limit_text = req.Query("limit", "1000");
    const long long limit = std::strtoll(limit_text.c_str(), &end, 10);
    if (*end || limit < 1 || limit > 10000) return Invalid("limit must be between 1 and 10000");
    // Read the status before the entries: a final status means every entry is stored.
    const bool final = IsFinal((**run).result.status);
    auto entries = s->deps.store.ReadLogs(id, after, static_cast<int>(limit) + 1);
    if (!entries) return ErrorResponse(entries.error());
    const bool more = static_cast<long long>(entries->size()) > limit;
    if (more) entries->pop_back();
    json::array list;
    for (const auto& e : *entries) list.push_back(EntryToJson(e));
    const int64_t next = entries->empty() ? after : entries->back().seq;
    return Ok(json::object{{"entries", list}, {"next", next}, {"done", final && !more}});
  });
  router.Add("GET", "/api/v1/runs/{id}/events", [s](Request& req) {
    const std::string id = req.params["id"];
    auto run = s->deps.store.GetRun(id);
    if (!run) return ErrorResponse(run.error());
    if (!*run || (**run).user_id != kLocalUser) return ErrorResponse(404, "not_found", "no run " + id);
    std::string resume = req.Header("last-event-id");
    if (resume.empty()) resume = req.Query("after", "0");
    char* end = nullptr;
    const long long after = std::strtoll(resume.c_str(), &end, 10);
    if (*end || after < 0) return Invalid("Last-Event-ID must be a sequence number");
    Response r;
    r.events = std::make_shared<RunEvents>(s->deps.store, s->deps.runs, s->deps.metrics, id, after);
    return r;
  });
  router.Add("GET", "/api/v1/runs/{id}/attach", [s](Request& req) {
    const std::string id = req.params["id"];
    auto run = s->deps.store.GetRun(id);
    if (!run) return ErrorResponse(run.error());
    if (!*run || (**run).user_id != kLocalUser) return ErrorResponse(404, "not_found", "no run " + id);
    std::string upgrade = req.Header("upgrade");
    for (auto& c : upgrade) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (upgrade != "websocket") return ErrorResponse(426, "upgrade_required", "attach is a WebSocket endpoint");
    Response r;
    r.websocket = std::make_shared<RunAttach>(s->deps.store, s->deps.runs, s->deps.metrics, id);
    return r;
  });
  router.Add("POST", "/api/v1/runs/{id}/stop", [s](Request& req) {
    const std::string id = req.params["id"];
    auto run = s->deps.store.GetRun(id);
    if (!run) return ErrorResponse(run.error());
    if (!*run || (**run).user_id != kLocalUser) return ErrorResponse(404, "not_found", "no run " + id);
    if (auto st = s->deps.runs.Stop(id, "user"); !st) return ErrorResponse(st.error());
    Response r;
    r.deferred = [s, id](std::function<void(Response)> deliver) {
      s->deps.runs.OnFinished(id, [deliver](const store::RunRecord& rec) { deliver(Ok(RunToJson(rec))); });
    };
    return r;
  });

  // Projects of the local user.
  router.Add("GET", "/api/v1/projects", [s](Request&) {
    auto list = s->deps.store.ListProjects(kLocalUser);
    if (!list) return ErrorResponse(list.error());
    json::array out;
    for (const auto& p : *list) out.push_back(ProjectToJson(p, true));
    return Ok(out);
  });
  router.Add("POST", "/api/v1/projects", [s](Request& req) {
    auto body = ParseObject(req.body);
    if (!body) return ErrorResponse(body.error());
    std::string error;
    auto name = OptString(*body, "name", error);
    auto runtime_id = OptString(*body, "runtime", error);
    auto visibility = OptString(*body, "visibility", error);
    if (!error.empty()) return Invalid(error);
    if (!name || name->empty() || name->size() > 100) return Invalid("name is required (1-100 characters)");
    if (!runtime_id || !s->FindRuntime(*runtime_id)) return Unprocessable("unknown_runtime", "unknown runtime");
    if (visibility && *visibility != "private" && *visibility != "public")
      return Invalid("visibility must be private or public");
    store::Project p;
    p.id = store::NewId();
    p.owner_id = kLocalUser;
    p.name = *name;
    p.runtime = *runtime_id;
    p.visibility = visibility.value_or("private");
    p.created_at = p.updated_at = store::NowRfc3339();
    if (auto st = s->deps.store.CreateProject(p); !st) return ErrorResponse(st.error());
    return Ok(ProjectToJson(p, true), 201);
  });
  router.Add("GET", "/api/v1/projects/{id}", [s](Request& req) {
    auto p = s->OwnProject(req.params["id"]);
    if (!p) return ErrorResponse(p.error());
    return Ok(ProjectToJson(*p, true));
  });
  router.Add("PATCH", "/api/v1/projects/{id}", [s](Request& req) {
    auto p = s->OwnProject(req.params["id"]);
    if (!p) return ErrorResponse(p.error());
    auto body = ParseObject(req.body);
    if (!body) return ErrorResponse(body.error());
    std::string error;
    if (auto name = OptString(*body, "name", error)) {
      if (name->empty() || name->size() > 100) return Invalid("name must be 1-100 characters");
      p->name = *name;
    }
    if (auto rt = OptString(*body, "runtime", error)) {
      if (!s->FindRuntime(*rt)) return Unprocessable("unknown_runtime", "unknown runtime");
      p->runtime = *rt;
    }
    if (auto vis = OptString(*body, "visibility", error)) {
      if (*vis != "private" && *vis != "public") return Invalid("visibility must be private or public");
      p->visibility = *vis;
    }
    if (auto* env = body->if_contains("env"); env && !env->is_null()) {
      if (!env->is_object() || env->as_object().size() > 100) return Invalid("env must be an object of at most 100 strings");
      p->env.clear();
      for (const auto& [k, v] : env->as_object()) {
        if (!v.is_string() || !ValidEnvName(std::string(k)) || v.as_string().size() > 4096)
          return Invalid("env must map names ([A-Za-z_][A-Za-z0-9_]*) to strings of at most 4096 bytes");
        p->env[std::string(k)] = std::string(v.as_string());
      }
    }
    if (!error.empty()) return Invalid(error);
    p->updated_at = store::NowRfc3339();
    if (auto st = s->deps.store.UpdateProject(*p); !st) return ErrorResponse(st.error());
    return Ok(ProjectToJson(*p, true));
  });
  router.Add("DELETE", "/api/v1/projects/{id}", [s](Request& req) {
    auto p = s->OwnProject(req.params["id"]);
    if (!p) return ErrorResponse(p.error());
    auto runs = s->deps.store.ListRuns(p->id, 1);
    if (runs && !runs->empty() && !IsFinal(runs->front().result.status)) (void)s->deps.runs.Stop(runs->front().id, "user");
    if (auto st = s->deps.store.DeleteProject(p->id); !st) return ErrorResponse(st.error());
    Response r;
    r.status = 204;
    return r;
  });
  router.Add("GET", "/api/v1/projects/{id}/files", [s](Request& req) {
    auto p = s->OwnProject(req.params["id"]);
    if (!p) return ErrorResponse(p.error());
    auto files = s->deps.store.ListFiles(p->id);
    if (!files) return ErrorResponse(files.error());
    json::array out;
    for (const auto& f : *files) out.push_back(json::object{{"path", f.path}, {"size", f.size}});
    return Ok(out);
  });
  router.Add("GET", "/api/v1/projects/{id}/files/{path...}", [s](Request& req) {
    auto p = s->OwnProject(req.params["id"]);
    if (!p) return ErrorResponse(p.error());
    auto content = s->deps.store.ReadFile(p->id, req.params["path"]);
    if (!content) return ErrorResponse(content.error());
    if (!*content) return ErrorResponse(404, "not_found", "no file " + req.params["path"]);
    Response r;
    r.content_type = "application/octet-stream";
    r.body = **content;
    return r;
  });
  router.Add("PUT", "/api/v1/projects/{id}/files/{path...}", [s](Request& req) {
    auto p = s->OwnProject(req.params["id"]);
    if (!p) return ErrorResponse(p.error());
    const std::string path = req.params["path"];
    if (!IsValidUtf8(path)) return Invalid("file paths must be UTF-8");
    if (auto why = CheckRelativePath(path); !why.empty()) return Invalid("file path \"" + path + "\": " + why);
    const auto& lim = s->deps.project_limits;
    if (req.body.size() > lim.file_bytes)
      return ErrorResponse(413, "too_large", "a file may hold at most " + std::to_string(lim.file_bytes) + " bytes");
    auto files = s->deps.store.ListFiles(p->id);
    if (!files) return ErrorResponse(files.error());
    uint64_t total = req.body.size();
    bool exists = false;
    for (const auto& f : *files) {
      if (f.path == path) {
        exists = true;
        continue;
      }
      if (path.rfind(f.path + "/", 0) == 0 || f.path.rfind(path + "/", 0) == 0)
        return ErrorResponse(409, "conflict", "a file and a folder cannot share the name " + path);
      total += f.size;
    }
    if (!exists && files->size() + 1 > lim.files)
      return ErrorResponse(413, "too_large", "a project may hold at most " + std::to_string(lim.files) + " files");
    if (total > lim.project_bytes)
      return ErrorResponse(413, "too_large", "a project may hold at most " + std::to_string(lim.project_bytes) + " bytes");
    if (auto st = s->deps.store.WriteFile(p->id, path, req.body); !st) return ErrorResponse(st.error());
    return Ok(json::object{{"path", path}, {"size", req.body.size()}}, exists ? 200 : 201);
  });
  router.Add("DELETE", "/api/v1/projects/{id}/files/{path...}", [s](Request& req) {
    auto p = s->OwnProject(req.params["id"]);
    if (!p) return ErrorResponse(p.error());
    if (auto st = s->deps.store.DeleteFile(p->id, req.params["path"]); !st) return ErrorResponse(st.error());
    Response r;
    r.status = 204;
    return r;
  });
  router.Add("POST", "/api/v1/projects/{id}/runs", [s](Request& req) {
    auto p = s->OwnProject(req.params["id"]);
    if (!p) return ErrorResponse(p.error());
    std::string stdin_data;
    bool interactive = false;
    if (!req.body.empty()) {
      auto body = ParseObject(req.body);
      if (!body) return ErrorResponse(body.error());
      std::string error;
      if (auto in = OptString(*body, "stdin", error)) stdin_data = *in;
      if (!error.empty()) return Invalid(error);
      if (auto* i = body->if_contains("interactive"); i && !i->is_null()) {
        if (!i->is_bool()) return Invalid("interactive must be true or false");
        interactive = i->as_bool();
      }
    }
    const runtime::Runtime* rt = s->FindRuntime(p->runtime);
    if (!rt) return Unprocessable("unknown_runtime", "the project's runtime " + p->runtime + " no longer exists");
    if (s->deps.unavailable.count(rt->id))
      return ErrorResponse(503, "runtime_unavailable", "runtime " + rt->id + " is not available: " + s->deps.unavailable[rt->id]);
    auto version = s->deps.store.SnapshotProject(p->id);
    if (!version) return ErrorResponse(version.error());
    auto files = s->deps.store.ReadVersionFiles(version->id);
    if (!files) return ErrorResponse(files.error());
    runtime::JobRequest jr;
    jr.files = std::move(*files);
    jr.stdin_data = stdin_data;
    for (const auto& [k, v] : p->env) jr.env.push_back(k + "=" + v);
    auto job = runtime::MakeJob(*rt, jr);
    if (!job) return Unprocessable("invalid_project", job.error().message);
    runs::RunRequest run;
    run.user_id = kLocalUser;
    run.project_id = p->id;
    run.version_id = version->id;
    run.interactive = interactive;
    run.runtime_id = rt->id;
    run.job = std::move(*job);
    auto record = s->deps.runs.Submit(std::move(run));
    if (!record) return ErrorResponse(record.error());
    return Ok(RunToJson(*record), 202);
  });
  router.Add("GET", "/api/v1/projects/{id}/runs", [s](Request& req) {
    auto p = s->OwnProject(req.params["id"]);
    if (!p) return ErrorResponse(p.error());
    auto list = s->deps.store.ListRuns(p->id, 100);
    if (!list) return ErrorResponse(list.error());
    json::array out;
    for (const auto& r : *list) out.push_back(RunToJson(r));
    return Ok(out);
  });
  router.Add("GET", "/api/v1/projects/{id}/versions", [s](Request& req) {
    auto p = s->OwnProject(req.params["id"]);
    if (!p) return ErrorResponse(p.error());
    auto list = s->deps.store.ListVersions(p->id);
    if (!list) return ErrorResponse(list.error());
    json::array out;
    for (const auto& v : *list) {
      json::array files;
      for (const auto& f : v.files) files.push_back(json::object{{"path", f.path}, {"size", f.size}});
      out.push_back(json::object{{"id", v.id}, {"created_at", v.created_at}, {"files", files}});
    }
    return Ok(out);
  });
  router.Add("POST", "/api/v1/projects/{id}/versions/{vid}/restore", [s](Request& req) {
    auto p = s->OwnProject(req.params["id"]);
    if (!p) return ErrorResponse(p.error());
    auto versions = s->deps.store.ListVersions(p->id);
    if (!versions) return ErrorResponse(versions.error());
    if (std::none_of(versions->begin(), versions->end(), [&](const store::Version& v) { return v.id == req.params["vid"]; }))
      return ErrorResponse(404, "not_found", "no version " + req.params["vid"]);
    auto files = s->deps.store.ReadVersionFiles(req.params["vid"]);
    if (!files) return ErrorResponse(files.error());
    auto current = s->deps.store.ListFiles(p->id);
    if (!current) return ErrorResponse(current.error());
    for (const auto& f : *current) (void)s->deps.store.DeleteFile(p->id, f.path);
    for (const auto& f : *files) {
      if (auto st = s->deps.store.WriteFile(p->id, f.path, f.content); !st) return ErrorResponse(st.error());
    }
    return Ok(json::object{{"restored", req.params["vid"]}, {"files", files->size()}});
  });
  (void)d;
}

}  // namespace runlet::api
