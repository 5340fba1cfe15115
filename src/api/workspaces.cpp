// /api/v1/workspaces (../shared/API.md, "Workspaces"): thin handlers over
// workspaces::WorkspaceManager. Every route takes the caller's own workspaces only: another
// user's id is 404, as an unknown one.
#include <algorithm>
#include <chrono>

#include "api/state.h"
#include "core/files.h"
#include "core/utf8.h"
#include "runtime/catalog.h"
#include "workspaces/workspace_manager.h"

namespace runlet::api {
namespace {

using workspaces::Info;
using workspaces::WorkspaceManager;

std::string IsoTime(workspaces::Clock::time_point t) {
  const std::time_t seconds = workspaces::Clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json::object InfoJson(const Info& info) {
  json::object o{{"id", info.id},
                 {"status", info.status},
                 {"project", info.project_id.empty() ? json::value(nullptr) : json::value(info.project_id)},
                 {"runtime", info.runtime},
                 {"created_at", IsoTime(info.created_at)},
                 {"expires_at", IsoTime(info.expires_at)},
                 {"idle_expires_at", IsoTime(info.idle_expires_at)},
                 {"limits", LimitsToJson(info.limits)}};
  if (!info.stop_reason.empty()) o["stop_reason"] = info.stop_reason;
  return o;
}

Response Unavailable() {
  return ErrorResponse(503, "unavailable",
                       "workspaces need the native sandbox, which this server does not run (runlet serve as root, "
                       "with the native platform)");
}

Response Deferred(std::function<void(std::function<void(Response)>)> fn) {
  Response r;
  r.deferred = std::move(fn);
  return r;
}

// The terminal WebSocket: binary frames are the terminal's bytes both ways, text frames
// JSON control messages ({"type":"resize"} in; {"type":"hello"}, {"type":"exit"} and
// {"type":"detached"} out).
class TerminalChannel final : public MessageChannel {
 public:
  TerminalChannel(WorkspaceManager& manager, std::string workspace, int64_t user,
                  std::shared_ptr<workspaces::TerminalView> view, Metrics& metrics)
      : manager_(manager), workspace_(std::move(workspace)), user_(user), view_(std::move(view)), metrics_(metrics) {
    metrics_.AddWebSocketClients(1);
  }
  ~TerminalChannel() override { metrics_.AddWebSocketClients(-1); }

  Batch Next() override {
    Batch batch;
    if (!hello_sent_) {
      batch.messages.push_back(JsonText(json::object{{"type", "hello"}, {"terminal", view_->terminal_id()}}));
      hello_sent_ = true;
    }
    auto chunk = view_->Take();
    if (!chunk.output.empty()) batch.messages.push_back(MessageChannel::Message(std::move(chunk.output), true));
    if (chunk.detached) {
      batch.messages.push_back(R"({"type":"detached","message":"another connection took this terminal over"})");
      batch.done = true;
    } else if (chunk.exit_code) {
      batch.messages.push_back(JsonText(json::object{{"type", "exit"}, {"code", *chunk.exit_code}}));
      batch.done = true;
    }
    return batch;
  }
  void SetWake(std::function<void()> wake) override { view_->SetWake(std::move(wake)); }
  void OnMessage(std::string_view text) override {
    (void)manager_.Touch(workspace_, user_);
    auto parsed = ParseJson(text);
    if (!parsed || !parsed->is_object()) return;
    const auto& o = parsed->as_object();
    auto* type = o.if_contains("type");
    if (!type || !type->is_string() || type->as_string() != "resize") return;
    auto* cols = o.if_contains("cols");
    auto* rows = o.if_contains("rows");
    if (!cols || !rows || !cols->is_int64() || !rows->is_int64()) return;
    const auto c = std::clamp<int64_t>(cols->as_int64(), 1, 1000), r = std::clamp<int64_t>(rows->as_int64(), 1, 1000);
    view_->Resize(static_cast<uint32_t>(c), static_cast<uint32_t>(r));
  }
  void OnBinary(std::string_view bytes) override {
    (void)manager_.Touch(workspace_, user_);
    view_->Input(bytes);
  }

 private:
  WorkspaceManager& manager_;
  std::string workspace_;
  int64_t user_;
  std::shared_ptr<workspaces::TerminalView> view_;
  Metrics& metrics_;
  bool hello_sent_ = false;
};

uint32_t QueryDimension(const Request& req, const char* name, uint32_t fallback, std::string& error) {
  const std::string v = req.Query(name);
  if (v.empty()) return fallback;
  uint32_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9' || n > 100000) {
      error = std::string(name) + " must be a number from 1 to 1000";
      return 0;
    }
    n = n * 10 + static_cast<uint32_t>(c - '0');
  }
  if (n < 1 || n > 1000) error = std::string(name) + " must be a number from 1 to 1000";
  return n;
}

// A path of the live files: the project's rules (CheckRelativePath, UTF-8, no control or
// bidirectional characters).
std::string PathProblem(const std::string& path) {
  if (!IsValidUtf8(path)) return "file paths must be UTF-8";
  if (auto why = CheckRelativePath(path); !why.empty()) return "file path \"" + path + "\": " + why;
  return "";
}

// "Sync to project": the workspace's files become the project's (a new version); files
// the project has and the workspace no longer has are deleted. Within the project's
// limits and the owner's storage quota, or nothing changes.
struct SyncJob {
  std::shared_ptr<ApiState> s;
  WorkspaceManager* manager = nullptr;
  std::string workspace, project;
  Principal who;
  std::vector<std::string> paths;
  size_t next = 0;
  std::vector<InputFile> files;
  std::function<void(Response)> deliver;
};

void FinishSync(const std::shared_ptr<SyncJob>& job) {
  auto& store = job->s->deps.store;
  auto current = store.ListFiles(job->project);
  if (!current) return job->deliver(ErrorResponse(current.error()));
  uint64_t added = 0, removed = 0;
  for (const auto& f : job->files) added += f.content.size();
  for (const auto& f : *current) removed += f.size;
  if (auto refused = CheckStorageQuota(*job->s, job->who, added, removed)) return job->deliver(*refused);
  for (const auto& f : job->files) {
    if (auto st = store.WriteFile(job->project, f.path, f.content); !st) return job->deliver(ErrorResponse(st.error()));
  }
  for (const auto& f : *current) {
    const bool kept = std::any_of(job->files.begin(), job->files.end(), [&](const InputFile& w) { return w.path == f.path; });
    if (!kept) {
      if (auto st = store.DeleteFile(job->project, f.path); !st) return job->deliver(ErrorResponse(st.error()));
    }
  }
  auto version = store.SnapshotProject(job->project);
  if (!version) return job->deliver(ErrorResponse(version.error()));
  job->deliver(Ok(json::object{{"project", job->project}, {"version", version->id}, {"files", job->files.size()}}));
}

void ReadNextForSync(const std::shared_ptr<SyncJob>& job) {
  if (job->next == job->paths.size()) {
    // The store is written off the workspace's own thread.
    std::thread([job] { FinishSync(job); }).detach();
    return;
  }
  const std::string path = job->paths[job->next++];
  const auto max = static_cast<uint32_t>(job->s->deps.project_limits.file_bytes);
  job->manager->ReadFile(job->workspace, job->who.user_id, path, max, [job, path](Result<std::string> content) {
    if (!content) return job->deliver(ErrorResponse(content.error().Wrap("sync " + path)));
    job->files.push_back({path, std::move(*content), false});
    ReadNextForSync(job);
  });
}

void StartSync(const std::shared_ptr<ApiState>& s, WorkspaceManager* m, const std::string& workspace,
               const std::string& project, const Principal& who, std::function<void(Response)> deliver) {
  auto job = std::make_shared<SyncJob>();
  job->s = s;
  job->manager = m;
  job->workspace = workspace;
  job->project = project;
  job->who = who;
  job->deliver = std::move(deliver);
  m->ListFiles(workspace, who.user_id, [job](Result<std::vector<workspaces::FileEntry>> list) {
    if (!list) return job->deliver(ErrorResponse(list.error()));
    const auto& lim = job->s->deps.project_limits;
    uint64_t total = 0;
    for (const auto& e : *list) {
      if (e.directory) continue;
      if (auto why = PathProblem(e.path); !why.empty()) {
        return job->deliver(ErrorResponse(422, "invalid_project", "cannot sync: " + why));
      }
      if (e.size > lim.file_bytes) {
        return job->deliver(ErrorResponse(413, "too_large", "cannot sync: " + e.path + " is larger than " +
                                                               std::to_string(lim.file_bytes) + " bytes"));
      }
      total += e.size;
      job->paths.push_back(e.path);
    }
    if (job->paths.size() > lim.files || total > lim.project_bytes) {
      return job->deliver(ErrorResponse(413, "too_large", "cannot sync: a project may hold at most " +
                                                             std::to_string(lim.files) + " files and " +
                                                             std::to_string(lim.project_bytes) + " bytes"));
    }
    ReadNextForSync(job);
  });
}

}  // namespace

void RegisterWorkspaceRoutes(Router& router, const std::shared_ptr<ApiState>& state) {
  auto s = state;
  auto manager = [s]() { return s->deps.workspaces; };

  router.Add("POST", "/api/v1/workspaces", [s, manager](Request& req) {
    if (!manager()) return Unavailable();
    auto body = req.body.empty() ? Result<json::object>(json::object{}) : ParseObject(req.body);
    if (!body) return ErrorResponse(body.error());
    std::string error;
    auto project_id = OptString(*body, "project", error);
    auto runtime_id = OptString(*body, "runtime", error);
    if (!error.empty()) return Invalid(error);
    workspaces::StartSpec spec;
    spec.user_id = req.principal->user_id;
    if (auto* ttl = body->if_contains("ttl_seconds"); ttl && !ttl->is_null()) {
      if (!ttl->is_int64() || ttl->as_int64() < 1) return Invalid("ttl_seconds must be a positive whole number");
      spec.ttl = std::chrono::seconds(ttl->as_int64());
    }
    if (project_id) {
      auto p = s->ProjectFor(req, *project_id, true);
      if (!p) return ErrorResponse(p.error());
      spec.project_id = p->id;
      if (!runtime_id) runtime_id = p->runtime;
      auto files = s->deps.store.ListFiles(p->id);
      if (!files) return ErrorResponse(files.error());
      for (const auto& f : *files) {
        auto content = s->deps.store.ReadFile(p->id, f.path);
        if (!content) return ErrorResponse(content.error());
        if (*content) spec.files.push_back({f.path, std::move(**content), false});
      }
      for (const auto& [k, v] : p->env) spec.env.push_back(k + "=" + v);
    }
    if (!runtime_id) return Invalid("say which runtime (\"runtime\") or which project (\"project\") the workspace is for");
    auto rt = s->FindRuntime(*runtime_id);
    if (!rt) return ErrorResponse(404, "not_found", "no runtime " + *runtime_id);
    if (auto why = s->Unavailable(rt->id); !why.empty()) return ErrorResponse(422, "runtime_unavailable", why);
    if (!s->deps.resolve_rootfs) return Unavailable();
    auto rootfs = s->deps.resolve_rootfs(rt->image);
    if (!rootfs) return ErrorResponse(422, "runtime_unavailable", rootfs.error().message);
    spec.runtime = rt->id;
    spec.rootfs = *rootfs;
    Limits limits = s->DefaultLimitsFor(*rt);
    if (auto* l = body->if_contains("limits"); l && !l->is_null()) {
      auto parsed = runtime::ParseLimitsJson(l, limits);
      if (!parsed) return ErrorResponse(parsed.error());
      limits = *parsed;
    }
    spec.limits = s->LimitsFor(*req.principal, limits);
    // A live workspace holds its memory and CPUs of the user's quota, beside their
    // executing runs.
    const store::Quota quota = s->QuotaFor(*req.principal);
    if (quota.memory_bytes > 0 || quota.cpus > 0) {
      const auto runs = s->deps.runs.UsageOf(req.principal->user_id);
      uint64_t memory = runs.memory_bytes + spec.limits.memory_bytes;
      double cpus = runs.cpus + spec.limits.cpus;
      for (const auto& w : manager()->List(req.principal->user_id)) {
        memory += w.limits.memory_bytes;
        cpus += w.limits.cpus;
      }
      if (quota.memory_bytes > 0 && memory > quota.memory_bytes)
        return ErrorResponse(429, "too_many_requests", "your runs and workspaces would hold " + std::to_string(memory >> 20) +
                                                           " MiB of memory; your quota is " +
                                                           std::to_string(quota.memory_bytes >> 20) + " MiB: stop one first");
      if (quota.cpus > 0 && cpus > quota.cpus + 1e-9)
        return ErrorResponse(429, "too_many_requests", "your runs and workspaces would hold " + std::to_string(cpus) +
                                                           " CPUs; your quota is " + std::to_string(quota.cpus) + ": stop one first");
    }
    auto shared = std::make_shared<workspaces::StartSpec>(std::move(spec));
    auto* m = manager();
    return Deferred([m, shared](std::function<void(Response)> deliver) {
      auto st = m->Start(std::move(*shared), [deliver](Result<Info> info) {
        if (!info) return deliver(ErrorResponse(info.error()));
        deliver(Ok(InfoJson(*info), 201));
      });
      if (!st) deliver(ErrorResponse(st.error()));
    });
  });

  router.Add("GET", "/api/v1/workspaces", [manager](Request& req) {
    if (!manager()) return Unavailable();
    json::array out;
    for (const auto& info : manager()->List(req.principal->user_id)) out.push_back(InfoJson(info));
    return Ok(out);
  });
  router.Add("GET", "/api/v1/workspaces/{id}", [manager](Request& req) {
    if (!manager()) return Unavailable();
    auto info = manager()->Get(req.params["id"], req.principal->user_id);
    if (!info) return ErrorResponse(info.error());
    return Ok(InfoJson(*info));
  });
  router.Add("DELETE", "/api/v1/workspaces/{id}", [s, manager](Request& req) {
    if (!manager()) return Unavailable();
    auto* m = manager();
    const std::string id = req.params["id"];
    const int64_t user = req.principal->user_id;
    auto info = m->Get(id, user);
    if (!info) return ErrorResponse(info.error());
    // Stopping waits for the sandbox to end (milliseconds): off the HTTP thread.
    auto stop = [m, id, user](std::function<void(Response)> deliver, json::object sync) {
      std::thread([m, id, user, deliver, sync] {
        auto info = m->Stop(id, user, "user");
        if (!info) return deliver(ErrorResponse(info.error()));
        json::object o = InfoJson(*info);
        if (!sync.empty()) o["sync"] = sync;
        deliver(Ok(o));
      }).detach();
    };
    // A project's workspace writes its files back first (?sync=false: not); the answer
    // says how that went ("sync": the new version, or the error), and it stops either way.
    const bool sync = !info->project_id.empty() && req.Query("sync", "true") != "false";
    const bool may_write = sync && s->ProjectFor(req, info->project_id, true).has_value();
    return Deferred([s, m, stop, may_write, project = info->project_id, id, who = *req.principal](
                        std::function<void(Response)> deliver) {
      if (!may_write) return stop(deliver, {});
      StartSync(s, m, id, project, who, [stop, deliver](Response synced) {
        auto parsed = ParseJson(synced.body);
        json::object result = parsed && parsed->is_object() ? parsed->as_object() : json::object{};
        stop(deliver, result);
      });
    });
  });
  router.Add("POST", "/api/v1/workspaces/{id}/extend", [manager](Request& req) {
    if (!manager()) return Unavailable();
    auto body = ParseObject(req.body);
    if (!body) return ErrorResponse(body.error());
    auto* ttl = body->if_contains("ttl_seconds");
    if (!ttl || !ttl->is_int64() || ttl->as_int64() < 1) return Invalid("ttl_seconds must be a positive whole number");
    auto info = manager()->Extend(req.params["id"], req.principal->user_id, std::chrono::seconds(ttl->as_int64()));
    if (!info) return ErrorResponse(info.error());
    return Ok(InfoJson(*info));
  });

  router.Add("GET", "/api/v1/workspaces/{id}/terminal", [s, manager](Request& req) {
    if (!manager()) return Unavailable();
    std::string error;
    const uint32_t cols = QueryDimension(req, "cols", 80, error);
    const uint32_t rows = QueryDimension(req, "rows", 24, error);
    if (!error.empty()) return Invalid(error);
    const std::string terminal = req.Query("terminal");
    // Refused before the upgrade: the workspace is the caller's, or 404.
    if (auto info = manager()->Get(req.params["id"], req.principal->user_id); !info) return ErrorResponse(info.error());
    std::string upgrade = req.Header("upgrade");
    for (auto& c : upgrade) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (upgrade != "websocket") return ErrorResponse(426, "upgrade_required", "the terminal is a WebSocket endpoint");
    auto view = manager()->OpenTerminal(req.params["id"], req.principal->user_id, cols, rows, terminal);
    if (!view) return ErrorResponse(view.error());
    Response r;
    r.websocket = std::make_shared<TerminalChannel>(*manager(), req.params["id"], req.principal->user_id,
                                                    std::move(*view), s->deps.metrics);
    return r;
  });

  router.Add("POST", "/api/v1/workspaces/{id}/exec", [manager](Request& req) {
    if (!manager()) return Unavailable();
    auto body = ParseObject(req.body);
    if (!body) return ErrorResponse(body.error());
    workspaces::ExecSpec spec;
    auto* command = body->if_contains("command");
    if (!command || !command->is_array() || command->as_array().empty() || command->as_array().size() > 1024)
      return Invalid("command must be a list of 1 to 1024 strings: the program and its arguments");
    for (const auto& a : command->as_array()) {
      if (!a.is_string()) return Invalid("command must be a list of strings");
      std::string arg(a.as_string());
      if (arg.find('\0') != std::string::npos) return Invalid("command arguments may not contain NUL");
      spec.argv.push_back(std::move(arg));
    }
    std::string error;
    if (auto workdir = OptString(*body, "workdir", error)) {
      if (workdir->empty() || (*workdir)[0] != '/' || workdir->find('\0') != std::string::npos)
        return Invalid("workdir must be an absolute path inside the workspace");
      spec.workdir = *workdir;
    }
    if (auto in = OptString(*body, "stdin", error)) spec.stdin_data = *in;
    if (!error.empty()) return Invalid(error);
    if (auto* t = body->if_contains("timeout_ms"); t && !t->is_null()) {
      if (!t->is_int64() || t->as_int64() < 1 || t->as_int64() > 10 * 60 * 1000)
        return Invalid("timeout_ms must be from 1 to 600000");
      spec.timeout_ms = static_cast<uint32_t>(t->as_int64());
    }
    auto* m = manager();
    const std::string id = req.params["id"];
    const int64_t user = req.principal->user_id;
    return Deferred([m, id, user, spec = std::move(spec)](std::function<void(Response)> deliver) {
      m->Exec(id, user, spec, [deliver](Result<workspaces::ExecResult> r) {
        if (!r) return deliver(ErrorResponse(r.error()));
        json::object o{{"exit_code", r->exit_code < 0 ? json::value(nullptr) : json::value(r->exit_code)},
                       {"signal", r->signal ? json::value(r->signal) : json::value(nullptr)},
                       {"stdout", SanitizeUtf8(r->stdout_data)},
                       {"stderr", SanitizeUtf8(r->stderr_data)},
                       {"wall_time_ms", r->wall_time_ms},
                       {"timed_out", r->timed_out},
                       {"stdout_truncated", r->stdout_truncated},
                       {"stderr_truncated", r->stderr_truncated}};
        deliver(Ok(o));
      });
    });
  });

  router.Add("POST", "/api/v1/workspaces/{id}/sync", [s, manager](Request& req) {
    if (!manager()) return Unavailable();
    auto info = manager()->Get(req.params["id"], req.principal->user_id);
    if (!info) return ErrorResponse(info.error());
    if (info->project_id.empty()) return ErrorResponse(409, "conflict", "this workspace belongs to no project");
    if (auto p = s->ProjectFor(req, info->project_id, true); !p) return ErrorResponse(p.error());
    return Deferred([s, m = manager(), id = info->id, project = info->project_id,
                     who = *req.principal](std::function<void(Response)> deliver) {
      StartSync(s, m, id, project, who, deliver);
    });
  });

  router.Add("POST", "/api/v1/workspaces/{id}/previews", [s, manager](Request& req) {
    if (!manager()) return Unavailable();
    auto info = manager()->Get(req.params["id"], req.principal->user_id);
    if (!info) return ErrorResponse(info.error());
    if (!s->deps.previews || !s->deps.preview_host)
      return ErrorResponse(503, "unavailable", "this server has no preview origin (runlet serve --preview-listen)");
    auto body = ParseObject(req.body);
    if (!body) return ErrorResponse(body.error());
    auto* port = body->if_contains("port");
    if (!port || !port->is_int64() || port->as_int64() < 1 || port->as_int64() > 65535)
      return Invalid("port must be a TCP port number, 1 to 65535");
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(info->expires_at - workspaces::Clock::now());
    auto preview = s->deps.previews->Create(info->id, req.principal->user_id, static_cast<uint16_t>(port->as_int64()),
                                            std::max(left, std::chrono::seconds(1)));
    return Ok(json::object{{"url", "http://" + s->deps.preview_host(preview.id) + "/?runlet_preview_grant=" + preview.token},
                           {"expires_at", IsoTime(preview.expires_at)},
                           {"grant_expires_at", IsoTime(preview.token_expires)}},
              201);
  });

  router.Add("GET", "/api/v1/workspaces/{id}/files", [manager](Request& req) {
    if (!manager()) return Unavailable();
    auto* m = manager();
    const std::string id = req.params["id"];
    const int64_t user = req.principal->user_id;
    return Deferred([m, id, user](std::function<void(Response)> deliver) {
      m->ListFiles(id, user, [deliver](Result<std::vector<workspaces::FileEntry>> list) {
        if (!list) return deliver(ErrorResponse(list.error()));
        json::array out;
        for (const auto& e : *list) {
          if (e.directory) continue;  // as for projects: files, folders implied by their paths
          out.push_back(json::object{{"path", SanitizeUtf8(e.path)}, {"size", e.size}});
        }
        deliver(Ok(out));
      });
    });
  });
  router.Add("GET", "/api/v1/workspaces/{id}/files/{path...}", [s, manager](Request& req) {
    if (!manager()) return Unavailable();
    const std::string path = req.params["path"];
    if (auto why = PathProblem(path); !why.empty()) return Invalid(why);
    auto* m = manager();
    const std::string id = req.params["id"];
    const int64_t user = req.principal->user_id;
    const auto max = static_cast<uint32_t>(s->deps.project_limits.file_bytes);
    return Deferred([m, id, user, path, max](std::function<void(Response)> deliver) {
      m->ReadFile(id, user, path, max, [deliver](Result<std::string> content) {
        if (!content) return deliver(ErrorResponse(content.error()));
        Response r;
        r.content_type = "application/octet-stream";
        r.body = std::move(*content);
        deliver(std::move(r));
      });
    });
  });
  router.Add("PUT", "/api/v1/workspaces/{id}/files/{path...}", [manager](Request& req) {
    if (!manager()) return Unavailable();
    const std::string path = req.params["path"];
    if (auto why = PathProblem(path); !why.empty()) return Invalid(why);
    auto* m = manager();
    const std::string id = req.params["id"];
    const int64_t user = req.principal->user_id;
    return Deferred([m, id, user, path, body = req.body](std::function<void(Response)> deliver) {
      const size_t size = body.size();
      m->WriteFile(id, user, path, body, [deliver, path, size](Status st) {
        if (!st) return deliver(ErrorResponse(st.error()));
        deliver(Ok(json::object{{"path", path}, {"size", size}}));
      });
    });
  }, state->deps.project_limits.file_bytes);
  router.Add("DELETE", "/api/v1/workspaces/{id}/files/{path...}", [manager](Request& req) {
    if (!manager()) return Unavailable();
    const std::string path = req.params["path"];
    if (auto why = PathProblem(path); !why.empty()) return Invalid(why);
    auto* m = manager();
    const std::string id = req.params["id"];
    const int64_t user = req.principal->user_id;
    return Deferred([m, id, user, path](std::function<void(Response)> deliver) {
      m->DeleteFile(id, user, path, [deliver](Status st) {
        if (!st) return deliver(ErrorResponse(st.error()));
        Response r;
        r.status = 204;
        deliver(std::move(r));
      });
    });
  });
}

}  // namespace runlet::api
