// `runlet serve`: the server, on its embedded defaults (SQLite in the data directory, the
// native sandbox, the host's runtimes).
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "api/api.h"
#include "api/web.h"
#include "cli/admin.h"
#include "cli/commands.h"
#include "cli/context.h"
#include "core/log.h"
#include "http/callback_sender.h"
#include "http/preview_server.h"
#include "http/server.h"
#include "runs/run_manager.h"
#include "store/store.h"
#include "workspaces/workspace_manager.h"

namespace runlet::cli {
namespace {

struct ServeFlags {
  Paths paths;
  std::string listen = "127.0.0.1:8080";
  std::string config;
  int capacity = 0;
  int queue_limit = 64;
  int user_runs = 16;
  int user_executing = 0;
  int threads = 2;
  int workspaces_per_user = 3;
  int workspace_max_ttl = 2 * 60 * 60;
  int workspace_idle = 10 * 60;
  std::string preview_listen;
  std::string preview_domain = "localhost";
  std::vector<std::string> callback_allow;
  size_t callback_queue = 100;  // a user's callbacks accepted and not yet delivered
  std::vector<std::string> trusted_proxies;  // CIDRs whose X-Forwarded-For/-Proto count
  std::string cookie_secure = "auto";        // auto | always | never
  double request_rate = 50;
  int pool = 2;
  std::string platform = "native";  // the default, until the admin picks another
  std::string web_dir = RUNLET_WEB_DIR;  // the built UI (web/dist)
  std::string platforms;            // more of them, "docker,gvisor": made on first use
  // Connections (http::ServerOptions).
  int header_timeout = 15;
  size_t max_connections = 0;  // 0: from the open-file limit
  size_t max_connections_per_address = 256;
  // Who may read /metrics (api::ApiDeps); empty: loopback.
  std::vector<std::string> metrics_allow;
  bool metrics_allow_set = false;  // (an empty list in the config file allows no address)
  std::string metrics_token;
  std::string log_compression = "deflate";  // of new run log chunks: deflate or none
  std::vector<std::string> compat;  // compatible APIs: piston, judge0 (api/compat.h)
  bool compat_anonymous = false;
  std::string database;  // "" (<data>/runlet.db), a SQLite path or a postgres:// URL
  // Several servers on one PostgreSQL: runs in the database's shared queue, executed by
  // whichever server has room (docs/SCALE-OUT.md); a claimed run's lease in seconds.
  bool cluster = false;
  double lease_seconds = 15;
};

// Raises the soft limit on open files to the hard one: every connection holds one.
void RaiseOpenFileLimit() {
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) != 0 || files.rlim_cur >= files.rlim_max) return;
  files.rlim_cur = files.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &files) != 0)
    Log("warning", "cannot raise the open-file limit", {{"error", std::strerror(errno)}});
}

// Whether --listen names a loopback address (then cookies need not be Secure by default).
bool IsLoopbackListen(const std::string& listen) {
  const std::string host = listen.substr(0, listen.rfind(':'));
  if (host == "localhost") return true;
  auto address = IpAddress::Parse(host);
  if (!address) return false;
  return address->is_loopback();
}

Status ApplyConfig(const std::string& path, ServeFlags& f) {
  std::ifstream in(path);
  if (!in) return Fail("cannot read config " + path);
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  auto doc = boost::json::parse(text.str(), ec);
  if (ec || !doc.is_object()) return Fail("config " + path + ": expected a JSON object");
  for (const auto& [key, value] : doc.as_object()) {
    if (key == "listen" && value.is_string()) {
      f.listen = std::string(value.as_string());
    } else if (key == "database" && value.is_string()) {
      f.database = std::string(value.as_string());
    } else if (key == "data" && value.is_string()) {
      f.paths.data_dir = std::string(value.as_string());
    } else if (key == "runtimes" && value.is_string()) {
      f.paths.runtimes_dir = std::string(value.as_string());
    } else if (key == "host_paths" && value.is_array()) {
      for (const auto& v : value.as_array()) {
        if (!v.is_string()) return Fail("config " + path + ": host_paths must be paths");
        f.paths.host_paths.emplace_back(v.as_string());
      }
    } else if (key == "capacity" && value.is_int64()) {
      f.capacity = static_cast<int>(value.as_int64());
    } else if (key == "cluster" && value.is_bool()) {
      f.cluster = value.as_bool();
    } else if (key == "lease_seconds" && value.is_number()) {
      f.lease_seconds = value.to_number<double>();
    } else if (key == "queue_limit" && value.is_int64()) {
      f.queue_limit = static_cast<int>(value.as_int64());
    } else if (key == "callback_allow" && value.is_array()) {
      for (const auto& v : value.as_array()) {
        if (!v.is_string()) return Fail("config " + path + ": callback_allow must be CIDR ranges");
        f.callback_allow.emplace_back(v.as_string());
      }
    } else if (key == "trusted_proxies" && value.is_array()) {
      for (const auto& v : value.as_array()) {
        if (!v.is_string()) return Fail("config " + path + ": trusted_proxies must be CIDR ranges");
        f.trusted_proxies.emplace_back(v.as_string());
      }
    } else if (key == "callback_queue" && value.is_int64() && value.as_int64() > 0) {
      f.callback_queue = static_cast<size_t>(value.as_int64());
    } else if (key == "cookie_secure" && value.is_string()) {
      f.cookie_secure = std::string(value.as_string());
    } else if (key == "request_rate" && value.is_number()) {
      f.request_rate = value.to_number<double>();
    } else if (key == "web" && value.is_string()) {
      f.web_dir = std::string(value.as_string());
    } else if (key == "platform" && value.is_string()) {
      f.platform = std::string(value.as_string());
    } else if (key == "platforms" && (value.is_string() || value.is_array())) {
      f.platforms.clear();
      if (value.is_string()) f.platforms = std::string(value.as_string());
      for (const auto& v : value.is_array() ? value.as_array() : boost::json::array{}) {
        if (!v.is_string()) return Fail("config " + path + ": platforms must be names");
        f.platforms += (f.platforms.empty() ? "" : ",") + std::string(v.as_string());
      }
    } else if (key == "user_concurrent_runs" && value.is_int64()) {
      f.user_runs = static_cast<int>(value.as_int64());
    } else if (key == "header_timeout" && value.is_int64() && value.as_int64() > 0) {
      f.header_timeout = static_cast<int>(value.as_int64());
    } else if (key == "max_connections" && value.is_int64() && value.as_int64() >= 0) {
      f.max_connections = static_cast<size_t>(value.as_int64());
    } else if (key == "max_connections_per_address" && value.is_int64() && value.as_int64() > 0) {
      f.max_connections_per_address = static_cast<size_t>(value.as_int64());
    } else if (key == "metrics_allow" && value.is_array()) {
      f.metrics_allow.clear();
      f.metrics_allow_set = true;
      for (const auto& v : value.as_array()) {
        if (!v.is_string()) return Fail("config " + path + ": metrics_allow must be address ranges");
        f.metrics_allow.emplace_back(v.as_string());
      }
    } else if (key == "metrics_token" && value.is_string()) {
      f.metrics_token = std::string(value.as_string());
    } else if (key == "compat" && value.is_array()) {
      f.compat.clear();
      for (const auto& v : value.as_array()) {
        if (!v.is_string()) return Fail("config " + path + ": compat must be a list of piston, judge0");
        f.compat.emplace_back(v.as_string());
      }
    } else if (key == "compat_anonymous" && value.is_bool()) {
      f.compat_anonymous = value.as_bool();
    } else if (key == "user_executing_runs" && value.is_int64()) {
      f.user_executing = static_cast<int>(value.as_int64());
    } else {
      return Fail("config " + path + ": unknown or mistyped setting \"" + std::string(key) + "\"");
    }
  }
  return {};
}

int Serve(ServeFlags f) {
  if (!f.config.empty()) {
    if (auto st = ApplyConfig(f.config, f); !st) {
      Log("error", st.error().message);
      return 2;
    }
  }
  auto trusted = ParseCidrs(f.trusted_proxies);
  auto callback_allow = ParseCidrs(f.callback_allow);
  for (const auto* parsed : {&trusted, &callback_allow}) {
    if (!*parsed) {
      Log("error", (parsed == &trusted ? "trusted_proxies: " : "callback_allow: ") + parsed->error().message);
      return 2;
    }
  }
  api::CookieSecure cookie_secure = api::CookieSecure::kAuto;
  if (f.cookie_secure == "always") {
    cookie_secure = api::CookieSecure::kAlways;
  } else if (f.cookie_secure == "never") {
    cookie_secure = api::CookieSecure::kNever;
  } else if (f.cookie_secure != "auto") {
    Log("error", "cookie_secure must be auto, always or never, not \"" + f.cookie_secure + "\"");
    return 2;
  }
  std::vector<Cidr> metrics_allow = api::ApiDeps::DefaultMetricsAllow();
  if (f.metrics_allow_set || !f.metrics_allow.empty()) {
    auto ranges = ParseCidrs(f.metrics_allow);
    if (!ranges) {
      Log("error", "metrics_allow: " + ranges.error().message);
      return 2;
    }
    metrics_allow = std::move(*ranges);
  }
  if (f.header_timeout <= 0 || f.max_connections_per_address == 0) {
    Log("error", "header_timeout and max_connections_per_address must be positive");
    return 2;
  }
  RaiseOpenFileLimit();
  const Paths paths = ResolvePaths(f.paths);
  if (::mkdir(paths.data_dir.c_str(), 0700) < 0 && errno != EEXIST) {
    Log("error", "cannot create the data directory", {{"path", paths.data_dir}, {"error", std::strerror(errno)}});
    return 1;
  }
  // One run per CPU, plus one (capacity): a user may hold all but one
  // (user_executing_runs), so one user's long runs never keep another's waiting while
  // the CPUs stay busy.
  store::StoreOptions store_options;
  if (f.log_compression == "none") {
    store_options.log_encoding = store::ChunkEncoding::kRaw;
  } else if (f.log_compression != "deflate") {
    Log("error", "--log-compression must be deflate or none, not " + f.log_compression);
    return 2;
  }
  // PostgreSQL: a connection for each HTTP thread and each run executing at once
  // (they write logs and results), and a few for the rest.
  const int capacity = f.capacity > 0 ? f.capacity : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) + 1;
  store_options.connections = f.threads + capacity + 2;
  const std::string database = DatabaseOf(paths, f.database);
  if (f.cluster && !store::IsPostgresUrl(database)) {
    Log("error", "--cluster needs a PostgreSQL database shared by the servers (--database postgres://...)");
    return 2;
  }
  if (f.cluster && !(f.lease_seconds >= 0.5 && f.lease_seconds <= 3600)) {
    Log("error", "--lease must be between 0.5 and 3600 seconds");
    return 2;
  }
  auto store = store::OpenStore(database, store_options);
  if (!store) {
    Log("error", store.error().message);
    return 1;
  }
  // The first start makes the first admin; its password is shown this once.
  if (auto users = (**store).ListUsers(); users && std::none_of(users->begin(), users->end(), [](const store::User& u) {
        return u.role == "admin";
      })) {
    const std::string password = GeneratePassword();
    if (auto id = CreateUser(**store, "admin", password, "admin"); id) {
      std::cout << "runlet: created the first admin account: user \"admin\", password \"" << password
                << "\" (shown once; change it: runlet admin reset-password admin)" << std::endl;
    } else {
      Log("warning", "no admin account, and none could be made: " + id.error().message +
                         " (make one: runlet admin create-user NAME --admin)");
    }
  }
  auto catalog = runtime::Catalog::LoadDir(paths.runtimes_dir);
  if (!catalog) {
    Log("error", catalog.error().message);
    return 1;
  }
  auto names = ParsePlatformNames(f.platforms.empty() ? f.platform : f.platforms);
  if (!names) {
    Log("error", names.error().message);
    return 2;
  }
  auto stack = MakeServerStack(paths, *names, f.platform, f.pool);
  if (!stack) {
    Log("error", stack.error().message);
    return 1;
  }
  // Every configured platform starts now, off the way: each clears what dead servers of
  // this machine left in its engine, and the jobs they left end at their own deadlines.
  stack->platforms->StartAllInBackground();
  // The admin's choice of default (PUT /admin/platforms) outlives a restart.
  if (auto stored = (**store).GetSetting("platforms"); stored && *stored) {
    boost::system::error_code ec;
    auto doc = boost::json::parse(**stored, ec);
    const auto* def = !ec && doc.is_object() ? doc.as_object().if_contains("default") : nullptr;
    if (def && def->is_string() && def->as_string() != stack->platforms->DefaultName()) {
      const std::string name(def->as_string());
      if (auto st = stack->platforms->SetDefault(name); !st) {
        Log("warning", "the admin's default platform cannot be used; keeping " + stack->platforms->DefaultName(),
            {{"platform", name}, {"error", st.error().message}});
      }
    }
  }
  api::Metrics metrics;

  runs::Options options;
  options.capacity = capacity;
  options.queue_limit = f.queue_limit;
  options.user_concurrent_runs = f.user_runs;
  options.user_executing_runs = f.user_executing;
  if (f.cluster) {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    const auto started = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
    options.server_id = std::string(host) + ":" + std::to_string(::getpid()) + ":" + std::to_string(started);
    options.lease = std::chrono::milliseconds(static_cast<int64_t>(f.lease_seconds * 1000));
    // Three renewals in a lease: one late one does not lose the runs.
    options.heartbeat = options.lease / 3;
    Log("info", "cluster mode: runs go through the shared queue", {{"server", options.server_id},
                                                                    {"lease_seconds", f.lease_seconds}});
  }
  runs::RunManager manager(**store, *stack->platforms, options);
  manager.on_final = [&metrics](const store::RunRecord& run, std::chrono::milliseconds duration) {
    metrics.RunFinished(run.platform, run.runtime, std::string(StatusName(run.result.status)), duration.count() / 1000.0);
  };

  // Which runtimes can run here, and their exact versions (cached in the data directory).
  std::map<std::string, std::string> versions, unavailable;
  for (const auto& rt : catalog->runtimes()) {
    if (!rt.enabled) continue;
    auto [version, problem] = CheckRuntime(*stack, paths, rt);
    if (version.empty()) {
      unavailable[rt.id] = problem;
    } else {
      versions[rt.id] = version;
    }
  }
  // Made once the port is known (the server's own port is never called back).
  std::unique_ptr<http::CallbackSender> callbacks;
  api::ApiDeps deps{**store, manager, *stack->platforms, metrics, std::move(*catalog), versions, unavailable,
                    {}, {}, MachineLimits()};
  deps.admit_callback = [&callbacks](const std::string& url, int64_t user, std::function<void(Result<uint64_t>)> done) {
    callbacks->Admit(url, user, std::move(done));
  };
  deps.send_callback = [&callbacks](uint64_t ticket, std::string body) { callbacks->Send(ticket, std::move(body)); };
  deps.put_callback = [&callbacks](uint64_t ticket, std::string body) { callbacks->Send(ticket, std::move(body), true); };
  deps.release_callback = [&callbacks](uint64_t ticket) { callbacks->Release(ticket); };
  deps.check_runtime = [&stack, &paths](const runtime::Runtime& rt) { return CheckRuntime(*stack, paths, rt); };
  deps.trusted_proxies = *trusted;
  deps.cookie_secure = cookie_secure;
  deps.listen_loopback = IsLoopbackListen(f.listen);
  deps.request_rate = f.request_rate;
  deps.request_burst = f.request_rate * 4;
  deps.metrics_allow = std::move(metrics_allow);
  deps.metrics_token = f.metrics_token;
  for (const auto& dialect : f.compat) {
    if (dialect != "piston" && dialect != "judge0") {
      Log("error", "compat: unknown API \"" + dialect + "\" (piston, judge0)");
      return 2;
    }
  }
  deps.compat = f.compat;
  deps.compat_anonymous = f.compat_anonymous;
  // Workspaces live in the native sandbox; ended before the HTTP server goes (below).
  std::unique_ptr<workspaces::WorkspaceManager> workspace_manager;
  workspaces::PreviewGrants preview_grants;
  std::unique_ptr<http::PreviewServer> preview_server;
  if (stack->sandbox) {
    workspaces::Settings ws;
    ws.max_per_user = std::max(0, f.workspaces_per_user);
    ws.max_ttl = std::chrono::seconds(std::clamp(f.workspace_max_ttl, 60, 2 * 60 * 60));
    ws.default_ttl = std::min<std::chrono::seconds>(ws.default_ttl, ws.max_ttl);
    ws.idle_timeout = std::chrono::seconds(std::max(1, f.workspace_idle));
    workspace_manager = std::make_unique<workspaces::WorkspaceManager>(*stack->sandbox, ws);
    deps.workspaces = workspace_manager.get();
    if (!f.preview_listen.empty()) {
      http::PreviewOptions preview_options;
      preview_options.listen = f.preview_listen;
      preview_options.domain = f.preview_domain;
      preview_server = std::make_unique<http::PreviewServer>(preview_options, *workspace_manager, preview_grants);
      if (auto st = preview_server->Start(); !st) {
        Log("error", st.error().message);
        return 1;
      }
      Log("info", "previews", {{"listen", f.preview_listen}, {"port", preview_server->port()}, {"domain", f.preview_domain}});
      deps.previews = &preview_grants;
      deps.preview_host = [&preview_server](const std::string& id) { return preview_server->HostFor(id); };
    }
    deps.resolve_rootfs = [&images = *stack->images](const std::string& image) -> Result<std::string> {
      auto resolved = images.Resolve(image);
      if (!resolved) return tl::unexpected(resolved.error());
      return resolved->rootfs;
    };
  }
  api::Api api(std::move(deps));
  api::Router router;
  api.Register(router);
  auto web = api::WebUi::Load(f.web_dir);
  // The editor shows app previews in a frame: their origin (every <id>.DOMAIN:PORT).
  if (preview_server) web.SetFrameSources("http://" + preview_server->HostFor("*"));
  web.Register(router);
  if (!web.built()) Log("warning", "the web UI is not served: " + web.problem(), {{"web", f.web_dir}});

  http::ServerOptions server_options;
  server_options.listen = f.listen;
  server_options.threads = f.threads;
  server_options.header_timeout = std::chrono::seconds(f.header_timeout);
  server_options.max_connections = f.max_connections;
  server_options.max_connections_per_address = f.max_connections_per_address;
  http::HttpServer server(server_options, router, metrics);
  if (auto st = server.Bind(); !st) {
    Log("error", st.error().message);
    return 1;
  }
  http::CallbackOptions callback_options;
  callback_options.allowed = *callback_allow;
  callback_options.own_port = server.port();
  callback_options.per_user_pending = std::max<size_t>(1, f.callback_queue);
  callbacks = std::make_unique<http::CallbackSender>(callback_options);
  Log("info", "listening",
      {{"address", f.listen}, {"port", server.port()}, {"data", paths.data_dir}, {"database", store::DescribeDatabase(database)}, {"platform", stack->platforms->DefaultName()},
       {"capacity", capacity}, {"max_connections", server.max_connections()},
       {"max_connections_per_address", f.max_connections_per_address}, {"runtimes_available", versions.size()}, {"runtimes_unavailable", unavailable.size()}});
  std::cout << "runlet: serving on http://" << f.listen.substr(0, f.listen.rfind(':')) << ":" << server.port()
            << std::endl;
  server.Run([&] {
    Log("info", "shutting down: finishing runs (10 s at most)");
    manager.Drain();  // no more claims; /healthz says draining
    manager.Shutdown(std::chrono::seconds(10));
  });
  preview_server.reset();
  workspace_manager.reset();  // every workspace ends; requests waiting on one are answered
  api.Shutdown();  // before `server` goes: a login being hashed answers into it
  callbacks->Stop();  // likewise an execute request whose callback is being checked
  Log("info", "stopped");
  return 0;
}

}  // namespace

void AddServeCommand(CLI::App& app) {
  auto flags = std::make_shared<ServeFlags>();
  auto* cmd = app.add_subcommand("serve", "Run the server (API, scheduler, storage)");
  AddPathFlags(*cmd, flags->paths);
  cmd->add_option("--listen", flags->listen, "address to listen on, HOST:PORT (port 0: any free port)");
  cmd->add_option("--config", flags->config, "JSON file of settings (listen, data, capacity, queue_limit, ...)");
  cmd->add_option("--capacity", flags->capacity, "runs executing at once (default: one per CPU, plus one)");
  cmd->add_option("--queue", flags->queue_limit, "runs waiting beyond the capacity before 503");
  cmd->add_option("--user-runs", flags->user_runs, "a user's runs queued or executing at once before 429 (default 16)");
  cmd->add_option("--user-executing", flags->user_executing,
                  "a user's runs executing at once; their others wait their turn (default: capacity - 1, at least 1)");
  cmd->add_option("--threads", flags->threads, "HTTP threads");
  cmd->add_option("--callback-allow", flags->callback_allow,
                  "CIDR range that execute callbacks may reach (repeatable; none by default)");
  cmd->add_option("--callback-queue", flags->callback_queue,
                  "a user's execute callbacks waiting to be delivered before 429 (default 100)");
  cmd->add_option("--workspaces-per-user", flags->workspaces_per_user, "workspaces a user may hold at once (3)");
  cmd->add_option("--workspace-max-ttl", flags->workspace_max_ttl,
                  "seconds a workspace may live at most, extensions included (7200; default time-to-live 1800)");
  cmd->add_option("--workspace-idle-timeout", flags->workspace_idle,
                  "seconds without terminal input, API call or preview request after which a workspace ends (600)");
  cmd->add_option("--preview-listen", flags->preview_listen,
                  "address of the app preview origin, HOST:PORT (none by default: no previews)");
  cmd->add_option("--preview-domain", flags->preview_domain,
                  "previews are served as <id>.DOMAIN on the preview address (default localhost: *.localhost "
                  "resolves to loopback in browsers)");
  cmd->add_option("--pool", flags->pool, "sandboxes prepared ahead for each kind of run (0: none)");
  cmd->add_option("--web", flags->web_dir, "folder of the built web UI, served at / (default: the checkout's web/dist)");
  cmd->add_option("--platform", flags->platform, "the default platform: native (default), docker, podman, gvisor, swarm, kubernetes");
  cmd->add_option("--platforms", flags->platforms,
                  "the platforms the server holds, comma-separated (native,docker,gvisor); the admin picks the "
                  "default among them, a runtime may name its own");
  cmd->add_option("--rate", flags->request_rate, "API requests per second per user (per address when anonymous)");
  cmd->add_option("--trusted-proxy", flags->trusted_proxies,
                  "CIDR range of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed "
                  "(repeatable; none by default)");
  cmd->add_option("--cookie-secure", flags->cookie_secure,
                  "auto (default: Secure cookies unless listening on loopback), always or never");
  cmd->add_option("--header-timeout", flags->header_timeout,
                  "seconds a client has to send a request's head, and a kept-alive connection may stay idle (15)");
  cmd->add_option("--max-connections", flags->max_connections,
                  "open connections at once (default: 3/4 of the open-file limit, at most 10000)");
  cmd->add_option("--max-connections-per-address", flags->max_connections_per_address,
                  "open connections at once from one address (256)");
  cmd->add_option("--metrics-allow", flags->metrics_allow,
                  "address range (CIDR) that may read /metrics (repeatable; default: loopback)");
  cmd->add_option("--metrics-token", flags->metrics_token,
                  "a secret that also opens /metrics, sent as \"Authorization: Bearer <token>\"");
  cmd->add_option("--compat", flags->compat,
                  "serve compatible APIs: piston (/piston/api/v2), judge0 (/judge0); comma-separated")
      ->delimiter(',');
  cmd->add_flag("--compat-anonymous", flags->compat_anonymous,
                "the compatible APIs serve requests without a token as the account anonymous, within its quota");
  cmd->add_flag("--cluster", flags->cluster,
               "one of several servers on one PostgreSQL (--database postgres://): runs wait in the database and "
               "run on whichever server has room");
  cmd->add_option("--lease", flags->lease_seconds,
                  "--cluster: seconds a server's claim on a run lasts unrenewed; a dead server's runs end this long "
                  "after it died (default 15)");
  cmd->add_option("--database", flags->database,
                  "where the server keeps its data: a SQLite file (default: <data>/runlet.db) or a PostgreSQL URL, "
                  "postgres://USER@HOST:PORT/DB (password from PGPASSWORD or ~/.pgpass)");
  cmd->add_option("--log-compression", flags->log_compression,
                  "how new run log chunks are stored: deflate (default) or none");
  cmd->callback([flags] { throw ExitWith{Serve(*flags)}; });
}

}  // namespace runlet::cli
