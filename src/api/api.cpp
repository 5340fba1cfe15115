#include "api/api.h"

#include "api/compat.h"
#include "api/state.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <map>
#include <boost/json.hpp>

#include "core/environment.h"
#include "auth/secrets.h"
#include "core/json.h"
#include "core/result_json.h"
#include "core/utf8.h"
#include "image/project_archive.h"
#include "runtime/job.h"

namespace runlet::api {
namespace json = boost::json;
namespace {

json::object RunToJson(const store::RunRecord& r) {
  json::object o = ResultToJson(r.result, r.build ? &*r.build : nullptr);
  o["id"] = r.id;
  o["project_id"] = r.project_id.empty() ? json::value(nullptr) : json::value(r.project_id);
  o["version_id"] = r.version_id.empty() ? json::value(nullptr) : json::value(r.version_id);
  o["runtime"] = r.runtime;
  o["platform"] = r.platform;
  if (r.log_truncated) o["log_truncated"] = true;
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

// The text of log entries that one page (logs API, SSE) carries at most, give or take
// one entry.
constexpr size_t kPageBytes = 1 << 20;

// Execute requests in one batch.
constexpr size_t kMaxBatch = 64;

// Whether `req` may read /metrics (ApiDeps::metrics_allow, metrics_token).
bool MetricsAllowed(const ApiDeps& deps, const Request& req) {
  const std::string authorization = req.Header("authorization");
  if (!deps.metrics_token.empty() && authorization.rfind("Bearer ", 0) == 0 &&
      auth::ConstantTimeEquals(authorization.substr(7), deps.metrics_token))
    return true;
  const bool forwarded = !req.Header("forwarded").empty() || !req.Header("x-forwarded-for").empty() ||
                         !req.Header("x-real-ip").empty();
  return !forwarded && AnyContains(deps.metrics_allow, req.remote_address);
}

json::object EntryToJson(const store::LogEntry& e) {
  return {{"seq", e.seq},
          {"stream", e.stream == Stream::kStdout ? "stdout" : "stderr"},
          {"text", SanitizeUtf8(e.text)},
          {"time", e.time}};
}

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

// A log entry as an SSE event (id = seq).
std::string LogEvent(const store::LogEntry& e) {
  return "id: " + std::to_string(e.seq) + "\nevent: log\ndata: " + JsonText(EntryToJson(e)) + "\n\n";
}

// Server-sent events for one run: log entries (id = seq), status changes, then end.
// While the run is active, its status and new entries come from the run manager's
// memory (one copy shared by every watcher, each entry's event text made once for all
// of them); the store is read to resume from older entries and once the run has ended.
class RunEvents final : public EventSource {
 public:
  RunEvents(store::Store& store, runs::RunManager& runs, Metrics& metrics, std::string run_id, int64_t after,
            std::shared_ptr<void> slot)
      : store_(store), runs_(runs), metrics_(metrics), run_id_(std::move(run_id)), last_seq_(after),
        slot_(std::move(slot)) {
    metrics_.AddSseClients(1);
  }
  ~RunEvents() override {
    if (watch_) runs_.Unwatch(watch_);
    metrics_.AddSseClients(-1);
  }

  void SetWake(std::function<void()> wake) override { watch_ = runs_.Watch(run_id_, std::move(wake)); }

  Chunk Next() override {
    Chunk chunk;
    // A page is at most 500 entries or about kPageBytes of text, so that a watcher holds
    // little however long the lines are.
    constexpr int kPage = 500;
    if (auto live = runs_.ReadLive(run_id_, last_seq_, kPage, kPageBytes)) {
      const std::string status(StatusName(live->status));
      if (status != sent_status_) {
        chunk.text += "event: status\ndata: " + JsonText(json::object{{"status", status}}) + "\n\n";
        sent_status_ = status;
      }
      for (const auto& e : live->entries) {
        chunk.text += e->Rendered(&LogEvent);
        last_seq_ = e->entry().seq;
      }
      // Each stream's unfinished line (a prompt) as it stands, when it changed; "" once
      // it has become an entry.
      for (int i = 0; i < 2; ++i) {
        if (live->partial[i] == sent_partial_[i]) continue;
        if (live->partial[i].empty() && !live->entries.empty()) {
          // The entries just sent carry it on.
          sent_partial_[i].clear();
          continue;
        }
        chunk.text += "event: partial\ndata: " +
                      JsonText(json::object{{"stream", i == 0 ? "stdout" : "stderr"},
                                            {"text", SanitizeUtf8(std::string_view(live->partial[i]).substr(0, CompleteUtf8Prefix(live->partial[i])))}}) +
                      "\n\n";
        sent_partial_[i] = live->partial[i];
      }
      return chunk;
    }
    // Status first: once it is final, every log entry is already in the store. The
    // whole record (the output too) is read once, for the end event.
    auto run = store_.GetRunHeader(run_id_);
    if (run && *run && IsFinal((**run).result.status)) run = store_.GetRun(run_id_);
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
      chunk.text += "event: status\ndata: " + JsonText(json::object{{"status", status}}) + "\n\n";
      sent_status_ = status;
    };
    if (!final) send_status();  // a phase change comes before the output of that phase
    auto entries = store_.ReadLogs(run_id_, last_seq_, kPage, kPageBytes);
    bool drained = false;  // every stored entry has been sent
    if (entries) {
      AppendEntries(*entries, chunk.text);
      size_t bytes = 0;
      for (const auto& e : *entries) bytes += e.text.size();
      drained = static_cast<int>(entries->size()) < kPage && bytes < kPageBytes;
    }
    if (final && drained) {
      // Every entry has been sent: the final status, then the result.
      send_status();
      chunk.text += "event: end\ndata: " + JsonText(RunToJson(record)) + "\n\n";
      chunk.done = true;
    }
    return chunk;
  }

 private:
  void AppendEntries(const std::vector<store::LogEntry>& entries, std::string& text) {
    for (const auto& e : entries) {
      text += LogEvent(e);
      last_seq_ = e.seq;
    }
  }

  store::Store& store_;
  runs::RunManager& runs_;
  Metrics& metrics_;
  std::string run_id_;
  int64_t last_seq_;
  std::shared_ptr<void> slot_;  // one of the user's event streams
  std::string sent_status_;
  std::string sent_partial_[2];  // the unfinished line of stdout, stderr last sent
  uint64_t watch_ = 0;
};

// Refuses (403 project_quota) a new project beyond `who`'s quota of projects.
std::optional<Response> CheckProjectQuota(ApiState& s, const Principal& who) {
  const store::Quota q = s.QuotaFor(who);
  if (q.projects <= 0) return std::nullopt;
  auto have = s.deps.store.StorageOf(who.user_id);
  if (!have) return ErrorResponse(have.error());
  if (have->projects >= q.projects) {
    return ErrorResponse(403, "project_quota", "you have " + std::to_string(have->projects) +
                                                   " projects, your limit; delete one to make another");
  }
  return std::nullopt;
}

}  // namespace

std::optional<Response> CheckStorageQuota(ApiState& s, const Principal& who, uint64_t added, uint64_t removed) {
  const store::Quota q = s.QuotaFor(who);
  if (q.stored_bytes == 0 || added <= removed) return std::nullopt;
  auto have = s.deps.store.StorageOf(who.user_id);
  if (!have) return ErrorResponse(have.error());
  const uint64_t after = have->file_bytes - std::min(have->file_bytes, removed) + added;
  if (after > q.stored_bytes) {
    return ErrorResponse(413, "storage_quota", "your projects would hold " + std::to_string(after) +
                                                   " bytes of files together; your limit is " +
                                                   std::to_string(q.stored_bytes));
  }
  return std::nullopt;
}

namespace {

constexpr size_t kMaxDescription = 500;
constexpr const char* kDescriptionTooLong = "description must be at most 500 bytes";
constexpr const char* kVisibilities = "visibility must be private, unlisted or public";
bool ValidVisibility(const std::string& v) { return v == "private" || v == "unlisted" || v == "public"; }

// The files of version `vid` of project `p` (404 when it is no version of that project).
Result<std::vector<InputFile>> VersionFiles(ApiState& s, const store::Project& p, const std::string& vid) {
  auto versions = s.deps.store.ListVersions(p.id);
  if (!versions) return tl::unexpected(versions.error());
  if (std::none_of(versions->begin(), versions->end(), [&](const store::Version& v) { return v.id == vid; }))
    return Fail(ErrorKind::kNotFound, "no version " + vid);
  return s.deps.store.ReadVersionFiles(vid);
}

// A project's name as a download's file name: letters, digits, '.', '-' and '_' kept,
// anything else (quotes, slashes, spaces, non-ASCII) as '_'.
std::string DownloadName(std::string_view name) {
  std::string out;
  for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  if (out.empty() || out.front() == '.') out.insert(out.begin(), 'p');
  return out.substr(0, 80);
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
          queue_.push_back(JsonText(json::object{{"type", "output"},
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
    auto run = store_.GetRunHeader(run_id_);
    if (run && *run && IsFinal((**run).result.status)) run = store_.GetRun(run_id_);
    if (!run || !*run) {
      batch.messages.push_back(R"({"type":"error","message":"no such run"})");
      batch.done = true;
      return batch;
    }
    const std::string status(StatusName((**run).result.status));
    if (status != sent_status_) {
      batch.messages.push_back(JsonText(json::object{{"type", "status"}, {"status", status}}));
      sent_status_ = status;
    }
    if (IsFinal((**run).result.status)) {
      json::object end{{"type", "end"}, {"result", RunToJson(**run)}};
      batch.messages.push_back(JsonText(end));
      batch.done = true;
    }
    return batch;
  }

  void OnMessage(std::string_view text) override {
    auto parsed = ParseJson(text);
    const json::value v = parsed ? std::move(*parsed) : json::value();
    Status st;
    if (!parsed || !v.is_object()) {
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
        replies_.push_back(JsonText(json::object{{"type", "error"}, {"message", st.error().message}}));
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

Api::Api(ApiDeps deps) : state_(std::make_shared<ApiState>(std::move(deps))) {}

void Api::Shutdown() {
  state_->hashers.Stop();
  state_->checkers.Stop();
}

void Api::Register(Router& router) {
  auto s = state_;

  router.SetGuard([s](Request& req) { return Authenticate(*s, req); });
  RegisterAccountRoutes(router, s);
  RegisterAdminRoutes(router, s);
  compat::Register(router, s);
  RegisterWorkspaceRoutes(router, s);

  // The default platform's health: its Check() may wait seconds on a hung engine, so it
  // runs on the checkers.
  router.Add("GET", "/healthz", OnWorkers(s, &ApiState::checkers, "too many health checks at once", [s](Request&) {
    const std::string name = s->deps.platforms.DefaultName();
    auto platform = s->deps.platforms.Get(name);
    const platform::Health health = platform ? (*platform)->Check() : platform::Health{false, platform.error().message};
    auto stats = s->deps.runs.GetStats();
    // Whether a balancer should send this server traffic: the database answers, the
    // platform is healthy and the server is not draining (SIGTERM).
    const auto database = s->deps.store.Ping();
    const bool draining = s->deps.runs.draining();
    const bool ok = health.ok && database && !draining;
    return Ok(json::object{{"status", draining ? "draining" : ok ? "ok" : "degraded"},
                           {"platform", name},
                           {"detail", health.detail},
                           {"database", database ? "ok" : database.error().message},
                           {"runs_executing", stats.executing},
                           {"runs_queued", stats.queued},
                           {"uptime_seconds", s->deps.runs.seconds_up()}},
              ok ? 200 : 503);
  }));
  router.Add("GET", "/metrics", [s](Request& req) {
    std::chrono::seconds retry{1};
    if (!s->metrics_limiter.Allow("address:" + req.remote_address, retry)) {
      Response r = ErrorResponse(429, "rate_limited", "too many requests for /metrics; slow down");
      r.headers = {{"Retry-After", std::to_string(std::max<long>(1, retry.count()))}};
      return r;
    }
    if (!MetricsAllowed(s->deps, req))
      return ErrorResponse(403, "forbidden",
                           "/metrics is served to the addresses of the metrics_allow setting, or with its "
                           "metrics_token as \"Authorization: Bearer <token>\"");
    auto stats = s->deps.runs.GetStats();
    s->deps.metrics.SetActiveRuns(stats.executing, stats.queued);
    s->deps.metrics.SetPasswordHashes(s->hashers.running(), s->hashers.peak_running());
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
    auto run = s->ParseExecute(*body, *req.principal);
    if (!run) return ErrorResponse(run.error());
    std::string error;
    auto callback = OptString(*body, "callback_url", error);
    if (!error.empty()) return Invalid(error);
    // Starts the run whose result goes to the callback `ticket` (and to `deliver`).
    auto start = [s, wait](runs::RunRequest run, uint64_t ticket, std::function<void(Response)> deliver) {
      auto record = s->deps.runs.Submit(std::move(run));
      if (!record) {
        s->deps.release_callback(ticket);
        return deliver(ErrorResponse(record.error()));
      }
      s->deps.runs.OnFinished(record->id, [s, ticket](const store::RunRecord& rec) {
        s->deps.send_callback(ticket, JsonText(RunToJson(rec)));
      });
      if (!wait) return deliver(Ok(json::object{{"id", record->id}, {"status", "queued"}}, 202));
      s->deps.runs.OnFinished(record->id, [deliver](const store::RunRecord& rec) { deliver(Ok(RunToJson(rec))); });
    };
    Response r;
    if (!callback) {
      auto record = s->deps.runs.Submit(std::move(*run));
      if (!record) return ErrorResponse(record.error());
      if (!wait) return Ok(json::object{{"id", record->id}, {"status", "queued"}}, 202);
      r.deferred = [s, id = record->id](std::function<void(Response)> deliver) {
        s->deps.runs.OnFinished(id, [deliver](const store::RunRecord& rec) { deliver(Ok(RunToJson(rec))); });
      };
      return r;
    }
    if (!s->deps.admit_callback) return ErrorResponse(403, "forbidden", "callbacks are not enabled on this server");
    // The callback's host is resolved off the HTTP threads; the run starts once it passes.
    r.deferred = [s, start, url = *callback, user = req.principal->user_id,
                  run = std::make_shared<runs::RunRequest>(std::move(*run))](std::function<void(Response)> deliver) {
      s->deps.admit_callback(url, user, [start, run, deliver](Result<uint64_t> ticket) {
        if (!ticket) return deliver(ErrorResponse(ticket.error()));
        start(std::move(*run), *ticket, deliver);
      });
    };
    return r;
  }, kServerMaximum);
  router.Add("POST", "/api/v1/execute/batch", [s](Request& req) {
    // The batch's size is checked while it is read, before anything is built.
    auto batch = ParseJson(req.body, {.max_top_items = kMaxBatch});
    if (!batch) {
      if (batch.error().kind == ErrorKind::kTooLarge)
        return ErrorResponse(413, "too_large", "at most " + std::to_string(kMaxBatch) + " requests in a batch (" +
                                                   batch.error().message + ")");
      return ErrorResponse(batch.error());
    }
    const json::value& v = *batch;
    if (!v.is_array() || v.as_array().empty()) return Invalid("expected a non-empty JSON array of execute requests");
    const bool wait = req.Query("wait", "true") != "false";
    std::vector<runs::RunRequest> parsed;
    for (size_t i = 0; i < v.as_array().size(); ++i) {
      auto run = s->ParseExecute(v.as_array()[i], *req.principal);
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
  }, kServerMaximum);

  // Runs.
  router.Add("GET", "/api/v1/runs/{id}", [s](Request& req) {
    auto run = s->RunFor(req, req.params["id"]);
    if (!run) return ErrorResponse(run.error());
    return Ok(RunToJson(*run));
  });
  router.Add("GET", "/api/v1/runs/{id}/logs", [s](Request& req) {
    const std::string id = req.params["id"];
    auto run = s->RunFor(req, id, true);
    if (!run) return ErrorResponse(run.error());
    char* end = nullptr;
    const std::string after_text = req.Query("after", "0");
    const long long after = std::strtoll(after_text.c_str(), &end, 10);
    if (*end || after < 0) return Invalid("after must be a sequence number (0 or more)");
    const std::string limit_text = req.Query("limit", "1000");
    const long long limit = std::strtoll(limit_text.c_str(), &end, 10);
    if (*end || limit < 1 || limit > 10000) return Invalid("limit must be between 1 and 10000");
    // Read the status before the entries: a final status means every entry is stored.
    const bool final = IsFinal(run->result.status);
    // The entry after the page tells whether there is more; a page also ends after
    // about kPageBytes of text, so a page of long lines stays small.
    auto entries = s->deps.store.ReadLogs(id, after, static_cast<int>(limit) + 1, kPageBytes);
    if (!entries) return ErrorResponse(entries.error());
    size_t bytes = 0;
    size_t keep = 0;
    while (keep < entries->size() && static_cast<long long>(keep) < limit && (keep == 0 || bytes < kPageBytes)) {
      bytes += (*entries)[keep].text.size();
      ++keep;
    }
    const bool more = entries->size() > keep || bytes >= kPageBytes;
    entries->resize(keep);
    json::array list;
    for (const auto& e : *entries) list.push_back(EntryToJson(e));
    const int64_t next = entries->empty() ? after : entries->back().seq;
    return Ok(json::object{{"entries", list}, {"next", next}, {"done", final && !more}});
  });
  router.Add("GET", "/api/v1/runs/{id}/events", [s](Request& req) {
    const std::string id = req.params["id"];
    auto run = s->RunFor(req, id, true);
    if (!run) return ErrorResponse(run.error());
    std::string resume = req.Header("last-event-id");
    if (resume.empty()) resume = req.Query("after", "0");
    char* end = nullptr;
    const long long after = std::strtoll(resume.c_str(), &end, 10);
    if (*end || after < 0) return Invalid("Last-Event-ID must be a sequence number");
    auto slot = s->TakeStreamSlot(req.principal->user_id);
    if (!slot) return ErrorResponse(429, "too_many_streams", slot.error().message);
    Response r;
    r.events = std::make_shared<RunEvents>(s->deps.store, s->deps.runs, s->deps.metrics, id, after, std::move(*slot));
    return r;
  });
  // Deletes a finished run and its log (the caller's own; 409 while it is active).
  router.Add("DELETE", "/api/v1/runs/{id}", [s](Request& req) {
    const std::string id = req.params["id"];
    auto run = s->RunFor(req, id, true);
    if (!run) return ErrorResponse(run.error());
    if (auto st = s->deps.store.DeleteRun(id); !st) return ErrorResponse(st.error());
    Response r;
    r.status = 204;
    return r;
  });
  router.Add("GET", "/api/v1/runs/{id}/attach", [s](Request& req) {
    const std::string id = req.params["id"];
    auto run = s->RunFor(req, id, true);
    if (!run) return ErrorResponse(run.error());
    std::string upgrade = req.Header("upgrade");
    for (auto& c : upgrade) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (upgrade != "websocket") return ErrorResponse(426, "upgrade_required", "attach is a WebSocket endpoint");
    Response r;
    r.websocket = std::make_shared<RunAttach>(s->deps.store, s->deps.runs, s->deps.metrics, id);
    return r;
  });
  router.Add("POST", "/api/v1/runs/{id}/stop", [s](Request& req) {
    const std::string id = req.params["id"];
    auto run = s->RunFor(req, id, true);
    if (!run) return ErrorResponse(run.error());
    if (auto st = s->deps.runs.Stop(id, "user"); !st) return ErrorResponse(st.error());
    Response r;
    r.deferred = [s, id](std::function<void(Response)> deliver) {
      s->deps.runs.OnFinished(id, [deliver](const store::RunRecord& rec) { deliver(Ok(RunToJson(rec))); });
    };
    return r;
  });

  // Projects of the local user.
  router.Add("GET", "/api/v1/projects", [s](Request& req) {
    auto list = s->deps.store.ListProjects(req.principal->user_id);
    if (!list) return ErrorResponse(list.error());
    json::array out;
    for (const auto& p : *list) out.push_back(s->ProjectJson(p, req));
    return Ok(out);
  });
  router.Add("POST", "/api/v1/projects", [s](Request& req) {
    auto body = ParseObject(req.body);
    if (!body) return ErrorResponse(body.error());
    std::string error;
    auto name = OptString(*body, "name", error);
    auto runtime_id = OptString(*body, "runtime", error);
    auto visibility = OptString(*body, "visibility", error);
    auto description = OptString(*body, "description", error);
    if (!error.empty()) return Invalid(error);
    if (!name || name->empty() || name->size() > 100) return Invalid("name is required (1-100 characters)");
    if (description && description->size() > kMaxDescription) return Invalid(kDescriptionTooLong);
    if (!runtime_id || !s->FindRuntime(*runtime_id) || !s->FindRuntime(*runtime_id)->enabled) return Unprocessable("unknown_runtime", "unknown runtime");
    if (visibility && !ValidVisibility(*visibility)) return Invalid(kVisibilities);
    if (auto refused = CheckProjectQuota(*s, *req.principal)) return *refused;
    store::Project p;
    p.id = store::NewId();
    p.owner_id = req.principal->user_id;
    p.name = *name;
    p.runtime = *runtime_id;
    p.visibility = visibility.value_or("private");
    p.description = description.value_or("");
    p.created_at = p.updated_at = store::NowRfc3339();
    if (auto st = s->deps.store.CreateProject(p); !st) return ErrorResponse(st.error());
    return Ok(s->ProjectJson(p, req), 201);
  });
  router.Add("GET", "/api/v1/projects/{id}", [s](Request& req) {
    auto p = s->ProjectFor(req, req.params["id"], false);
    if (!p) return ErrorResponse(p.error());
    return Ok(s->ProjectJson(*p, req));
  });
  router.Add("PATCH", "/api/v1/projects/{id}", [s](Request& req) {
    auto p = s->ProjectFor(req, req.params["id"], true);
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
      if (!ValidVisibility(*vis)) return Invalid(kVisibilities);
      p->visibility = *vis;
    }
    if (auto description = OptString(*body, "description", error)) {
      if (description->size() > kMaxDescription) return Invalid(kDescriptionTooLong);
      p->description = *description;
    }
    if (auto* env = body->if_contains("env"); env && !env->is_null()) {
      if (!env->is_object() || env->as_object().size() > 100) return Invalid("env must be an object of at most 100 strings");
      p->env.clear();
      for (const auto& [k, v] : env->as_object()) {
        if (!v.is_string() || !ValidEnvName(std::string(k)) || v.as_string().size() > 4096)
          return Invalid("env must map names ([A-Za-z_][A-Za-z0-9_]*) to strings of at most 4096 bytes");
        if (auto why = CheckEnvVariable(k, v.as_string()); !why.empty()) return Invalid("env: " + why);
        p->env[std::string(k)] = std::string(v.as_string());
      }
    }
    if (!error.empty()) return Invalid(error);
    p->updated_at = store::NowRfc3339();
    if (auto st = s->deps.store.UpdateProject(*p); !st) return ErrorResponse(st.error());
    return Ok(s->ProjectJson(*p, req));
  }, 1 << 20);
  router.Add("DELETE", "/api/v1/projects/{id}", [s](Request& req) {
    auto p = s->ProjectFor(req, req.params["id"], true);
    if (!p) return ErrorResponse(p.error());
    auto runs = s->deps.store.ListRuns(p->id, 1);
    if (runs && !runs->empty() && !IsFinal(runs->front().result.status)) (void)s->deps.runs.Stop(runs->front().id, "user");
    if (auto st = s->deps.store.DeleteProject(p->id); !st) return ErrorResponse(st.error());
    Response r;
    r.status = 204;
    return r;
  });
  router.Add("GET", "/api/v1/projects/{id}/files", [s](Request& req) {
    auto p = s->ProjectFor(req, req.params["id"], false);
    if (!p) return ErrorResponse(p.error());
    auto files = s->deps.store.ListFiles(p->id);
    if (!files) return ErrorResponse(files.error());
    json::array out;
    for (const auto& f : *files) out.push_back(json::object{{"path", f.path}, {"size", f.size}});
    return Ok(out);
  });
  router.Add("GET", "/api/v1/projects/{id}/files/{path...}", [s](Request& req) {
    auto p = s->ProjectFor(req, req.params["id"], false);
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
    auto p = s->ProjectFor(req, req.params["id"], true);
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
    uint64_t replaced = 0;
    bool exists = false;
    for (const auto& f : *files) {
      if (f.path == path) {
        exists = true;
        replaced = f.size;
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
    if (auto refused = CheckStorageQuota(*s, *req.principal, req.body.size(), replaced)) return *refused;
    if (auto st = s->deps.store.WriteFile(p->id, path, req.body); !st) return ErrorResponse(st.error());
    return Ok(json::object{{"path", path}, {"size", req.body.size()}}, exists ? 200 : 201);
  }, s->deps.project_limits.file_bytes);
  // Renames a file or a folder: {"path": "new/path"}.
  router.Add("PATCH", "/api/v1/projects/{id}/files/{path...}", [s](Request& req) {
    auto p = s->ProjectFor(req, req.params["id"], true);
    if (!p) return ErrorResponse(p.error());
    auto body = ParseObject(req.body);
    if (!body) return ErrorResponse(body.error());
    std::string error;
    auto to = OptString(*body, "path", error);
    if (!error.empty()) return Invalid(error);
    if (!to) return Invalid("path (the new name) is required");
    if (!IsValidUtf8(*to)) return Invalid("file paths must be UTF-8");
    if (auto why = CheckRelativePath(*to); !why.empty()) return Invalid("file path \"" + *to + "\": " + why);
    const std::string from = req.params["path"];
    if (to->rfind(from + "/", 0) == 0) return Invalid("a folder cannot move into itself");
    if (auto st = s->deps.store.RenamePath(p->id, from, *to); !st) return ErrorResponse(st.error());
    return Ok(json::object{{"from", from}, {"path", *to}});
  });
  router.Add("DELETE", "/api/v1/projects/{id}/files/{path...}", [s](Request& req) {
    auto p = s->ProjectFor(req, req.params["id"], true);
    if (!p) return ErrorResponse(p.error());
    if (auto st = s->deps.store.DeleteFile(p->id, req.params["path"]); !st) return ErrorResponse(st.error());
    Response r;
    r.status = 204;
    return r;
  });
  // The project's files as a zip (anyone who may read the project).
  router.Add("GET", "/api/v1/projects/{id}/archive", [s](Request& req) {
    auto p = s->ProjectFor(req, req.params["id"], false);
    if (!p) return ErrorResponse(p.error());
    auto files = s->deps.store.ReadAllFiles(p->id);
    if (!files) return ErrorResponse(files.error());
    std::vector<image::ProjectFile> out;
    out.reserve(files->size());
    for (auto& f : *files) out.push_back({f.path, std::move(f.content)});
    auto zip = image::WriteProjectZip(out);
    if (!zip) return ErrorResponse(zip.error());
    Response r;
    r.content_type = "application/zip";
    r.body = std::move(*zip);
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + DownloadName(p->name) + ".zip\"");
    return r;
  });
  // Adds the files of an uploaded zip or tar to the project (same paths are replaced).
  // Everything is checked before the first file is written.
  router.Add("POST", "/api/v1/projects/{id}/archive", [s](Request& req) {
    auto p = s->ProjectFor(req, req.params["id"], true);
    if (!p) return ErrorResponse(p.error());
    const auto& lim = s->deps.project_limits;
    auto incoming = image::ReadProjectArchive(req.body, {lim.files, lim.file_bytes, lim.project_bytes});
    if (!incoming) return ErrorResponse(incoming.error());
    auto files = s->deps.store.ListFiles(p->id);
    if (!files) return ErrorResponse(files.error());
    std::map<std::string, uint64_t> after;  // path -> size, once imported
    for (const auto& f : *files) after[f.path] = f.size;
    uint64_t added = 0, removed = 0;
    size_t replaced = 0;
    for (const auto& f : *incoming) {
      if (auto it = after.find(f.path); it != after.end()) {
        removed += it->second;
        ++replaced;
      }
      after[f.path] = f.content.size();
      added += f.content.size();
    }
    uint64_t total = 0;
    for (const auto& [path, size] : after) {
      total += size;
      for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1))
        if (after.count(path.substr(0, slash)))
          return ErrorResponse(409, "conflict", "a file and a folder cannot share the name " + path.substr(0, slash));
    }
    if (after.size() > lim.files)
      return ErrorResponse(413, "too_large", "a project may hold at most " + std::to_string(lim.files) + " files");
    if (total > lim.project_bytes)
      return ErrorResponse(413, "too_large", "a project may hold at most " + std::to_string(lim.project_bytes) + " bytes");
    if (auto refused = CheckStorageQuota(*s, *req.principal, added, removed)) return *refused;
    json::array written;
    for (const auto& f : *incoming) {
      if (auto st = s->deps.store.WriteFile(p->id, f.path, f.content); !st) return ErrorResponse(st.error());
      written.push_back(json::object{{"path", f.path}, {"size", f.content.size()}});
    }
    return Ok(json::object{{"files", std::move(written)}, {"added", incoming->size() - replaced}, {"replaced", replaced}});
  }, s->deps.project_limits.project_bytes);
  // Starts a run of a project: its owner's, or a public one's by any logged-in viewer
  // (read-only: in the viewer's quota and sandbox, without the owner's env values).
  // Body: {stdin?, interactive?, args?, limits?}; limits are clamped to the caller's
  // maxima; an interactive run's wall limit is the admin's interactive_wall_ms unless
  // the request sets one.
  router.Add("POST", "/api/v1/projects/{id}/runs", [s](Request& req) {
    auto p = s->ProjectFor(req, req.params["id"], false);
    if (!p) return ErrorResponse(p.error());
    const bool owner = p->owner_id == req.principal->user_id;
    std::string stdin_data;
    bool interactive = false;
    std::vector<std::string> args;
    const json::value* wanted_limits = nullptr;
    json::object body_object;
    if (!req.body.empty()) {
      auto body = ParseObject(req.body);
      if (!body) return ErrorResponse(body.error());
      body_object = std::move(*body);
      std::string error;
      if (auto in = OptString(body_object, "stdin", error)) stdin_data = *in;
      if (!error.empty()) return Invalid(error);
      if (auto* i = body_object.if_contains("interactive"); i && !i->is_null()) {
        if (!i->is_bool()) return Invalid("interactive must be true or false");
        interactive = i->as_bool();
      }
      if (auto st = ParseArgs(body_object, args); !st) return ErrorResponse(st.error());
      wanted_limits = body_object.if_contains("limits");
    }
    auto rt = s->FindRuntime(p->runtime);
    if (!rt || !rt->enabled)
      return Unprocessable("unknown_runtime", "the project's runtime " + p->runtime + " no longer exists");
    if (auto why = s->Unavailable(rt->id); !why.empty())
      return ErrorResponse(503, "runtime_unavailable",
                           "runtime " + rt->id + ": " + (req.principal->admin() ? why : kRuntimeUnavailable));
    const ServerSettings settings = s->Settings();
    Limits base = s->DefaultLimitsFor(*rt);
    if (interactive) base.wall_time = std::chrono::milliseconds(settings.interactive_wall_ms);
    auto limits = runtime::ParseLimitsJson(wanted_limits, base);
    if (!limits) return Invalid(limits.error().message);
    // A viewer's run is not a change of the project: it runs the current files without
    // making a version of them.
    std::vector<InputFile> files;
    std::string version_id;
    if (owner) {
      auto version = s->deps.store.SnapshotProject(p->id);
      if (!version) return ErrorResponse(version.error());
      auto stored = s->deps.store.ReadVersionFiles(version->id);
      if (!stored) return ErrorResponse(stored.error());
      files = std::move(*stored);
      version_id = version->id;
    } else {
      auto stored = s->deps.store.ReadAllFiles(p->id);
      if (!stored) return ErrorResponse(stored.error());
      files = std::move(*stored);
    }
    runtime::JobRequest jr;
    jr.files = std::move(files);
    jr.stdin_data = stdin_data;
    jr.args = std::move(args);
    if (owner) {
      for (const auto& [k, v] : p->env) jr.env.push_back(k + "=" + v);
    }
    jr.run_limits = s->LimitsFor(*req.principal, *limits);
    jr.build_limits = s->LimitsFor(*req.principal, rt->build_limits);
    auto job = runtime::MakeJob(*rt, jr);
    if (!job) return Unprocessable("invalid_project", job.error().message);
    runs::RunRequest run;
    s->ApplyQuota(*req.principal, run);
    // A viewer's run belongs to no project: it neither supersedes the owner's run nor
    // shows in the project's history.
    run.project_id = owner ? p->id : "";
    run.version_id = version_id;
    run.interactive = interactive;
    if (interactive) {
      run.idle_limit = std::min(std::chrono::milliseconds(settings.interactive_idle_ms), jr.run_limits->wall_time);
    }
    run.runtime_id = rt->id;
    run.job = std::move(*job);
    auto record = s->deps.runs.Submit(std::move(run));
    if (!record) return ErrorResponse(record.error());
    if (!owner) (void)s->deps.store.CountRun(p->id);  // the owner's runs count as they are stored
    return Ok(RunToJson(*record), 202);
  }, kServerMaximum);
  // What a run of the project would get (the caller's limits, clamped to their maxima)
  // and what the caller may ask for: {"run": limits, "interactive": limits,
  // "idle_ms", "max": limits} (limits in the request's form).
  router.Add("GET", "/api/v1/projects/{id}/run-limits", [s](Request& req) {
    auto p = s->ProjectFor(req, req.params["id"], false);
    if (!p) return ErrorResponse(p.error());
    if (!req.principal) return ErrorResponse(401, "unauthorized", "log in first");
    auto rt = s->FindRuntime(p->runtime);
    if (!rt) return Unprocessable("unknown_runtime", "the project's runtime " + p->runtime + " no longer exists");
    const ServerSettings settings = s->Settings();
    const Limits base = s->DefaultLimitsFor(*rt);
    Limits interactive = base;
    interactive.wall_time = std::chrono::milliseconds(settings.interactive_wall_ms);
    interactive = s->LimitsFor(*req.principal, interactive);
    Limits max = s->MaxLimitsFor(req.principal->user_id, req.principal->role);
    max = s->LimitsFor(*req.principal, max);  // the quota's per-run bounds too
    return Ok(json::object{{"run", LimitsToJson(s->LimitsFor(*req.principal, base))},
                           {"interactive", LimitsToJson(interactive)},
                           {"idle_ms", std::min<int64_t>(settings.interactive_idle_ms, interactive.wall_time.count())},
                           {"max", LimitsToJson(max)}});
  });
  router.Add("GET", "/api/v1/projects/{id}/runs", [s](Request& req) {
    auto p = s->ProjectFor(req, req.params["id"], true);
    if (!p) return ErrorResponse(p.error());
    auto list = s->deps.store.ListRuns(p->id, 100);
    if (!list) return ErrorResponse(list.error());
    json::array out;
    for (const auto& r : *list) out.push_back(RunToJson(r));
    return Ok(out);
  });
  router.Add("GET", "/api/v1/projects/{id}/versions", [s](Request& req) {
    auto p = s->ProjectFor(req, req.params["id"], true);
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
  // What restoring a version would do, file by file: its text beside the current one.
  // status: "changed", "same", "restored" (in the version only: it would come back) or
  // "removed" (current only: it would go). Texts that are not UTF-8 are left out
  // ("binary": true); "same" files carry no texts.
  router.Add("GET", "/api/v1/projects/{id}/versions/{vid}/compare", [s](Request& req) {
    auto p = s->ProjectFor(req, req.params["id"], true);
    if (!p) return ErrorResponse(p.error());
    auto then = VersionFiles(*s, *p, req.params["vid"]);
    if (!then) return ErrorResponse(then.error());
    auto now = s->deps.store.ReadAllFiles(p->id);
    if (!now) return ErrorResponse(now.error());
    std::map<std::string, std::pair<const std::string*, const std::string*>> both;  // path -> (version, current)
    for (const auto& f : *then) both[f.path].first = &f.content;
    for (const auto& f : *now) both[f.path].second = &f.content;
    json::array files;
    for (const auto& [path, texts] : both) {
      const auto [old_text, new_text] = texts;
      json::object f{{"path", path}};
      f["status"] = !new_text ? "restored" : !old_text ? "removed" : *old_text == *new_text ? "same" : "changed";
      if (f["status"] != "same") {
        const bool binary = (old_text && !IsValidUtf8(*old_text)) || (new_text && !IsValidUtf8(*new_text));
        f["binary"] = binary;
        f["version"] = old_text && !binary ? json::value(*old_text) : json::value(nullptr);
        f["current"] = new_text && !binary ? json::value(*new_text) : json::value(nullptr);
      }
      files.push_back(std::move(f));
    }
    return Ok(json::object{{"version", req.params["vid"]}, {"files", std::move(files)}});
  });
  router.Add("POST", "/api/v1/projects/{id}/versions/{vid}/restore", [s](Request& req) {
    auto p = s->ProjectFor(req, req.params["id"], true);
    if (!p) return ErrorResponse(p.error());
    auto files = VersionFiles(*s, *p, req.params["vid"]);
    if (!files) return ErrorResponse(files.error());
    auto current = s->deps.store.ListFiles(p->id);
    if (!current) return ErrorResponse(current.error());
    uint64_t added = 0, removed = 0;
    for (const auto& f : *files) added += f.content.size();
    for (const auto& f : *current) removed += f.size;
    if (auto refused = CheckStorageQuota(*s, *req.principal, added, removed)) return *refused;
    for (const auto& f : *current) (void)s->deps.store.DeleteFile(p->id, f.path);
    for (const auto& f : *files) {
      if (auto st = s->deps.store.WriteFile(p->id, f.path, f.content); !st) return ErrorResponse(st.error());
    }
    return Ok(json::object{{"restored", req.params["vid"]}, {"files", files->size()}});
  });
  // The gallery of public projects (never unlisted ones), and forks. Query: page, limit,
  // q (text in the name or description), language (a runtime's language, e.g. python),
  // runtime (a runtime id), sort (updated, newest, runs, name).
  router.Add("GET", "/api/v1/gallery", [s](Request& req) {
    char* end = nullptr;
    const std::string page_text = req.Query("page", "1");
    const long long page = std::strtoll(page_text.c_str(), &end, 10);
    if (*end || page < 1 || page > 1000000) return Invalid("page must be a number from 1");
    const std::string limit_text = req.Query("limit", "20");
    const long long limit = std::strtoll(limit_text.c_str(), &end, 10);
    if (*end || limit < 1 || limit > 100) return Invalid("limit must be between 1 and 100");
    store::GalleryQuery query;
    query.offset = (page - 1) * limit;
    query.limit = static_cast<int>(limit) + 1;
    query.search = req.Query("q", "");
    if (query.search.size() > 100) return Invalid("q must be at most 100 bytes");
    query.sort = req.Query("sort", "updated");
    if (query.sort != "updated" && query.sort != "newest" && query.sort != "runs" && query.sort != "name")
      return Invalid("sort must be updated, newest, runs or name");
    const std::string language = req.Query("language", "");
    const std::string runtime_id = req.Query("runtime", "");
    if (!language.empty() || !runtime_id.empty()) {
      std::lock_guard lock(s->catalog_mu);
      for (const auto& rt : s->deps.catalog.runtimes()) {
        if ((!language.empty() && rt.language != language) || (!runtime_id.empty() && rt.id != runtime_id)) continue;
        query.runtimes.push_back(rt.id);
        query.runtimes.insert(query.runtimes.end(), rt.aliases.begin(), rt.aliases.end());
      }
      if (query.runtimes.empty()) return Ok(json::object{{"projects", json::array{}}, {"page", page}, {"next", nullptr}});
    }
    auto list = s->deps.store.ListPublicProjects(query);
    if (!list) return ErrorResponse(list.error());
    const bool more = static_cast<long long>(list->size()) > limit;
    if (more) list->pop_back();
    json::array out;
    for (const auto& p : *list) out.push_back(s->ProjectJson(p, req));
    return Ok(json::object{{"projects", out}, {"page", page}, {"next", more ? json::value(page + 1) : json::value(nullptr)}});
  });
  router.Add("POST", "/api/v1/projects/{id}/fork", [s](Request& req) {
    auto p = s->ProjectFor(req, req.params["id"], false);
    if (!p) return ErrorResponse(p.error());
    auto files = s->deps.store.ReadAllFiles(p->id);
    if (!files) return ErrorResponse(files.error());
    store::Project copy;
    copy.id = store::NewId();
    copy.owner_id = req.principal->user_id;
    copy.name = p->name;
    if (!req.body.empty()) {
      auto body = ParseObject(req.body);
      if (!body) return ErrorResponse(body.error());
      std::string error;
      if (auto name = OptString(*body, "name", error)) copy.name = *name;
      if (!error.empty()) return Invalid(error);
      if (copy.name.empty() || copy.name.size() > 100) return Invalid("name must be 1-100 characters");
    }
    if (auto refused = CheckProjectQuota(*s, *req.principal)) return *refused;
    uint64_t bytes = 0;
    for (const auto& f : *files) bytes += f.content.size();
    if (auto refused = CheckStorageQuota(*s, *req.principal, bytes, 0)) return *refused;
    copy.runtime = p->runtime;
    copy.visibility = "private";
    copy.forked_from = p->id;  // env values are never copied
    copy.description = p->description;
    copy.created_at = copy.updated_at = store::NowRfc3339();
    if (auto st = s->deps.store.CreateProject(copy); !st) return ErrorResponse(st.error());
    for (const auto& f : *files) {
      if (auto st = s->deps.store.WriteFile(copy.id, f.path, f.content); !st) return ErrorResponse(st.error());
    }
    return Ok(s->ProjectJson(copy, req), 201);
  });
}

}  // namespace runlet::api
