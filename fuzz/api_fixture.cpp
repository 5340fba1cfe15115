#include "fuzz/api_fixture.h"

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>

#include "api/api.h"
#include "api/metrics.h"
#include "api/web.h"
#include "auth/password.h"
#include "auth/secrets.h"
#include "http/callback_sender.h"
#include "platform/platform_set.h"
#include "runs/run_manager.h"
#include "runtime/catalog.h"
#include "store/store.h"

namespace runlet::fuzz {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "api fixture: %s\n", what.c_str());
  std::abort();
}

template <class T>
T Must(Result<T> r, const char* what) {
  if (!r) Die(std::string(what) + ": " + r.error().message);
  return std::move(*r);
}

std::string TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/runlet-fuzz-XXXXXX";
  if (!::mkdtemp(pattern.data())) Die("mkdtemp " + pattern);
  return pattern;
}

// Waits for a deferred response; one that never comes would hang its connection.
api::Response AwaitDeferred(const api::Response& pending) {
  struct Slot {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<api::Response> response;
  };
  auto slot = std::make_shared<Slot>();
  pending.deferred([slot](api::Response r) {
    std::lock_guard lock(slot->mu);
    if (slot->response) Die("a deferred response was delivered twice");
    slot->response = std::move(r);
    slot->cv.notify_all();
  });
  std::unique_lock lock(slot->mu);
  if (!slot->cv.wait_for(lock, std::chrono::seconds(60), [&] { return slot->response.has_value(); }))
    Die("a deferred response did not come within 60 s");
  return std::move(*slot->response);
}

}  // namespace

struct ApiFixture::Impl {
  std::string dir = TempDir();
  std::unique_ptr<store::Store> store;
  platform::PlatformSet platforms;
  api::Metrics metrics;
  std::unique_ptr<runs::RunManager> runs;
  http::CallbackSender callbacks{{}};  // no address allowed: a URL is parsed, never resolved
  std::unique_ptr<api::Api> api;
  int64_t admin_id = 0, user_id = 0;

  ~Impl() {
    if (api) api->Shutdown();
    if (runs) runs->Shutdown(std::chrono::milliseconds(0));
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  int64_t MakeUser(const std::string& name, const std::string& role, const std::string& token) {
    store::User u;
    u.username = name;
    u.password_hash = Must(auth::HashPassword("fuzz-password-1234"), "hash a password");
    u.role = role;
    u.created_at = store::NowRfc3339();
    const int64_t id = Must(store->CreateUser(u), "create a user");
    store::Credential c;
    c.id = store::NewId();
    c.user_id = id;
    c.kind = "token";
    c.name = "fuzz";
    c.secret_hash = auth::Sha256Hex(token);
    c.created_at = store::NowRfc3339();
    if (auto st = store->CreateCredential(c); !st) Die("create a token: " + st.error().message);
    return id;
  }

  void RestoreUser(int64_t id, const std::string& role, const std::string& token) {
    auto user = Must(store->GetUser(id), "read a user");
    if (!user) Die("a fuzz account is gone");
    if (user->disabled || user->role != role) {
      user->disabled = false;
      user->role = role;
      if (auto st = store->UpdateUser(*user); !st) Die("restore a user: " + st.error().message);
    }
    auto credential = Must(store->FindCredential(auth::Sha256Hex(token)), "find a token");
    if (!credential || (!credential->expires_at.empty() && credential->expires_at <= store::NowRfc3339())) {
      if (credential) (void)store->DeleteCredential(id, credential->id);
      store::Credential c;
      c.id = store::NewId();
      c.user_id = id;
      c.kind = "token";
      c.name = "fuzz";
      c.secret_hash = auth::Sha256Hex(token);
      c.created_at = store::NowRfc3339();
      if (auto st = store->CreateCredential(c); !st) Die("restore a token: " + st.error().message);
    }
  }

  void RestoreProjectAndRun() {
    if (!Must(store->GetProject(kProjectId), "read the project")) {
      store::Project p;
      p.id = kProjectId;
      p.owner_id = user_id;
      p.name = "fuzz";
      p.runtime = "python-3.11";
      p.created_at = p.updated_at = store::NowRfc3339();
      if (auto st = store->CreateProject(p); !st) Die("create the project: " + st.error().message);
      if (auto st = store->WriteFile(kProjectId, "main.py", "print(input())\n"); !st)
        Die("write a file: " + st.error().message);
    }
    if (!Must(store->GetRunHeader(kRunId), "read the run")) {
      store::RunRecord run;
      run.id = kRunId;
      run.user_id = user_id;
      run.runtime = "python-3.11";
      run.platform = "native";
      run.result.status = RunStatus::kOk;
      run.result.exit_code = 0;
      run.result.stdout_data = "1\n";
      run.created_at = run.started_at = run.finished_at = store::NowRfc3339();
      if (auto st = store->CreateRun(run); !st) Die("create the run: " + st.error().message);
      std::vector<store::LogEntry> logs(2);
      logs[0] = {1, Stream::kStdout, "1", run.created_at};
      logs[1] = {2, Stream::kStderr, "warning", run.created_at};
      if (auto st = store->AppendLogs(kRunId, logs); !st) Die("append logs: " + st.error().message);
    }
  }
};

ApiFixture::ApiFixture() : impl_(std::make_unique<Impl>()) {
  auto& m = *impl_;
  m.store = Must(store::OpenSqliteStore(m.dir + "/runlet.db"), "open the store");
  m.admin_id = m.MakeUser("admin", "admin", kAdminToken);
  m.user_id = m.MakeUser("fuzz", "user", kUserToken);
  m.platforms.Add("native", []() -> Result<std::unique_ptr<platform::Platform>> {
    return Fail(ErrorKind::kUnavailable, "the fuzz harness has no platform");
  });
  runs::Options options;
  options.capacity = 2;
  options.queue_limit = 16;
  m.runs = std::make_unique<runs::RunManager>(*m.store, m.platforms, options);

  auto catalog = Must(runtime::Catalog::LoadDir(RUNLET_RUNTIMES_DIR), "load runtimes/");
  std::map<std::string, std::string> versions;
  for (const auto& rt : catalog.runtimes()) versions[rt.id] = "fuzz";
  api::ApiDeps deps{*m.store, *m.runs, m.platforms, m.metrics, std::move(catalog), versions, {}, {}, {}, MachineLimits()};
  deps.admit_callback = [&m](const std::string& url, int64_t user, std::function<void(Result<uint64_t>)> done) {
    m.callbacks.Admit(url, user, std::move(done));
  };
  deps.send_callback = [&m](uint64_t ticket, std::string body) { m.callbacks.Send(ticket, std::move(body)); };
  deps.release_callback = [&m](uint64_t ticket) { m.callbacks.Release(ticket); };
  deps.put_callback = [&m](uint64_t ticket, std::string body) { m.callbacks.Send(ticket, std::move(body), true); };
  deps.compat = {"piston", "judge0"};
  deps.request_rate = 1e12;  // inputs come far faster than any client's
  deps.request_burst = 1e12;
  deps.password_threads = 1;
  m.api = std::make_unique<api::Api>(std::move(deps));
  m.api->Register(router);

  // A built web UI of two files, served as the router's fallback.
  const std::string web = m.dir + "/web";
  std::filesystem::create_directories(web + "/assets");
  std::ofstream(web + "/index.html") << "<!doctype html><title>runlet</title>";
  std::ofstream(web + "/assets/index-0123abcd.js") << "console.log(1)";
  static const api::WebUi ui = api::WebUi::Load(web);
  ui.Register(router);

  Restore();
}

ApiFixture& ApiFixture::Get() {
  // Never destroyed: threads may still use it at exit. Its data directory goes then (open
  // files stay usable while unlinked).
  static ApiFixture* fixture = [] {
    auto* f = new ApiFixture();
    static std::string dir = f->impl_->dir;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    });
    return f;
  }();
  return *fixture;
}

void ApiFixture::Restore() {
  impl_->RestoreUser(impl_->admin_id, "admin", kAdminToken);
  impl_->RestoreUser(impl_->user_id, "user", kUserToken);
  impl_->RestoreProjectAndRun();
}

api::Response ApiFixture::Dispatch(api::Request& request) {
  std::string route;
  api::Response response = router.Dispatch(request, route);
  if (response.deferred) response = AwaitDeferred(response);
  if (response.events) {
    response.events->SetWake([] {});
    for (int i = 0; i < 3 && !response.events->Next().done; ++i) {
    }
  }
  if (response.websocket) {
    response.websocket->SetWake([] {});
    (void)response.websocket->Next();
  }
  return response;
}

}  // namespace runlet::fuzz
