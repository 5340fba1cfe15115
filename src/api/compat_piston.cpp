// Piston v2 under /piston/api/v2: runtimes, execute, and packages as a read-only view.
// A request becomes Runlet's execute request (ApiState::ParseExecute); the result's
// build and run steps become Piston's `compile` and `run` stages.
#include <algorithm>
#include <cstdio>
#include <set>

#include "api/compat.h"
#include "core/json.h"
#include "core/utf8.h"

namespace runlet::api::compat {
namespace {

// Piston's defaults (its config: run 3 s of wall and CPU time, compile 10 s, memory
// unbounded, i.e. the runtime's own here).
constexpr int64_t kRunTimeoutMs = 3000;
constexpr int64_t kCompileTimeoutMs = 10000;

Response Message(int status, const std::string& message) {
  Response r = Json(status, JsonText(json::object{{"message", message}}));
  if (status == 429 || status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

struct Names {
  const char* language;  // Runlet's
  const char* piston;    // Piston's name of it
  std::vector<const char*> aliases;
};

// Piston's names and aliases of the languages it shares with Runlet.
const std::vector<Names>& KnownNames() {
  static const std::vector<Names> names = {
      {"python", "python", {"py", "py3", "python3"}},
      {"javascript", "javascript", {"node-javascript", "node-js", "js", "node"}},
      {"typescript", "typescript", {"ts", "node-ts", "tsc"}},
      {"c", "c", {"gcc"}},
      {"cpp", "c++", {"cpp", "g++"}},
      {"java", "java", {}},
      {"go", "go", {"golang"}},
      {"rust", "rust", {"rs"}},
      {"ruby", "ruby", {"ruby3", "rb"}},
      {"php", "php", {}},
      {"perl", "perl", {"pl"}},
      {"bash", "bash", {"sh"}},
      {"csharp", "csharp", {"mono", "mono-csharp", "mono-c#", "mono-cs", "c#", "cs"}},
      {"kotlin", "kotlin", {"kt"}},
      {"haskell", "haskell", {"hs"}},
      {"lua", "lua", {}},
      {"swift", "swift", {}},
      {"scala", "scala", {"sc"}},
      {"r", "rscript", {"r"}},
      {"elixir", "elixir", {"exs"}},
      {"erlang", "erlang", {"erl", "escript"}},
      {"ocaml", "ocaml", {"ml"}},
      {"fortran", "fortran", {"f90", "f95", "f03", "fortran"}},
      {"pascal", "pascal", {"freepascal", "pp", "pas"}},
      {"nim", "nim", {}},
      {"dart", "dart", {}},
      {"zig", "zig", {}},
      {"clojure", "clojure", {"clojure", "clj"}},
      {"crystal", "crystal", {"cr"}},
      {"d", "d", {"dmd"}},
      {"groovy", "groovy", {"gvy"}},
  };
  return names;
}

std::string PistonLanguage(const runtime::Runtime& rt) {
  for (const auto& n : KnownNames()) {
    if (rt.language == n.language) return n.piston;
  }
  return rt.language;
}

// Piston's aliases, the runtime's id and its file extensions.
std::vector<std::string> Aliases(const runtime::Runtime& rt) {
  const std::string name = PistonLanguage(rt);
  std::vector<std::string> out;
  auto add = [&](const std::string& a) {
    if (!a.empty() && a != name && std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  };
  for (const auto& n : KnownNames()) {
    if (rt.language == n.language) {
      for (const char* a : n.aliases) add(a);
    }
  }
  add(rt.language);
  add(rt.id);
  for (const auto& e : rt.extensions) add(e.size() > 1 && e[0] == '.' ? e.substr(1) : e);
  return out;
}

// The runtimes Piston clients see: enabled and available here.
std::vector<runtime::Runtime> Installed(ApiState& s) {
  std::vector<runtime::Runtime> out;
  std::lock_guard lock(s.catalog_mu);
  for (const auto& rt : s.deps.catalog.runtimes()) {
    if (rt.enabled && !s.deps.unavailable.count(rt.id)) out.push_back(rt);
  }
  return out;
}

int CompareVersions(const std::string& a, const std::string& b) {
  int x[3] = {}, y[3] = {};
  std::sscanf(a.c_str(), "%d.%d.%d", &x[0], &x[1], &x[2]);
  std::sscanf(b.c_str(), "%d.%d.%d", &y[0], &y[1], &y[2]);
  for (int i = 0; i < 3; ++i) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

// A step's result as Piston's stage object.
json::object Stage(const RunResult& r) {
  json::object o;
  o["stdout"] = SanitizeUtf8(r.stdout_data);
  o["stderr"] = SanitizeUtf8(r.stderr_data);
  o["output"] = SanitizeUtf8(r.stdout_data + r.stderr_data);
  o["code"] = r.exit_code ? json::value(*r.exit_code) : json::value(nullptr);
  json::value signal = r.signal ? json::value(SignalName(*r.signal)) : json::value(nullptr);
  json::value status = nullptr;
  switch (r.status) {
    case RunStatus::kOk: break;
    case RunStatus::kRuntimeError:
    case RunStatus::kCompileError: status = r.signal ? "SG" : "RE"; break;
    case RunStatus::kTimeLimit: status = "TO"; signal = "SIGKILL"; break;
    case RunStatus::kOutputLimit: status = r.stderr_truncated && !r.stdout_truncated ? "EL" : "OL"; signal = "SIGKILL"; break;
    case RunStatus::kMemoryLimit: status = "SG"; signal = "SIGKILL"; break;
    default: status = "XX"; break;
  }
  o["signal"] = signal;
  o["message"] = r.message.empty() ? json::value(nullptr) : json::value(SanitizeUtf8(r.message));
  o["status"] = status;
  o["memory"] = r.memory_peak_bytes;
  o["cpu_time"] = r.cpu_time_ms;
  o["wall_time"] = r.wall_time_ms;
  return o;
}

}  // namespace

void RegisterPiston(Router& router, const std::shared_ptr<ApiState>& state) {
  auto s = state;
  router.Add("GET", "/piston/api/v2/runtimes", [s](Request&) {
    json::array list;
    for (const auto& rt : Installed(*s)) {
      json::array aliases;
      for (const auto& a : Aliases(rt)) aliases.emplace_back(a);
      list.push_back(json::object{{"language", PistonLanguage(rt)},
                                  {"version", SemverOf(*s, rt)},
                                  {"aliases", aliases},
                                  {"runtime", rt.id}});
    }
    return Ok(list);
  });
  router.Add("GET", "/piston/api/v2/packages", [s](Request&) {
    json::array list;
    std::vector<runtime::Runtime> all;
    {
      std::lock_guard lock(s->catalog_mu);
      for (const auto& rt : s->deps.catalog.runtimes()) {
        if (rt.enabled) all.push_back(rt);
      }
    }
    for (const auto& rt : all) {
      list.push_back(json::object{{"language", PistonLanguage(rt)},
                                  {"language_version", SemverOf(*s, rt)},
                                  {"installed", s->Unavailable(rt.id).empty()}});
    }
    return Ok(list);
  });
  for (const char* method : {"POST", "DELETE"}) {
    router.Add(method, "/piston/api/v2/packages", [](Request&) {
      return Message(403, "packages are installed by the Runlet admin (runlet image build --for RUNTIME, or the admin portal)");
    });
  }

  router.Add("POST", "/piston/api/v2/execute", [s](Request& req) {
    // JSON whatever the Content-Type: some clients send text/plain, and only a token
    // (never a cookie) opens these endpoints.
    auto parsed = ParseJson(req.body);
    if (!parsed) return Message(StatusForKind(parsed.error().kind), "the body must be JSON: " + parsed.error().message);
    if (!parsed->is_object()) return Message(400, "the body must be a JSON object");
    const json::object& body = parsed->as_object();
    auto str = [&](const char* key) -> const json::string* {
      auto* v = body.if_contains(key);
      return v && v->is_string() && !v->as_string().empty() ? &v->as_string() : nullptr;
    };
    const json::string* language = str("language");
    if (!language) return Message(400, "language is required as a string");
    const json::string* version = str("version");
    if (!version) return Message(400, "version is required as a string");
    const json::value* files = body.if_contains("files");
    if (!files || !files->is_array()) return Message(400, "files is required as an array");
    const json::array& file_list = files->as_array();
    for (size_t i = 0; i < file_list.size(); ++i) {
      const json::value* content = file_list[i].is_object() ? file_list[i].as_object().if_contains("content") : nullptr;
      if (!content || !content->is_string())
        return Message(400, "files[" + std::to_string(i) + "].content is required as a string");
    }
    // The newest installed runtime of that language (or alias) whose version satisfies
    // the range.
    std::optional<runtime::Runtime> rt;
    std::string rt_version;
    for (const auto& candidate : Installed(*s)) {
      const auto aliases = Aliases(candidate);
      if (PistonLanguage(candidate) != *language &&
          std::find(aliases.begin(), aliases.end(), std::string(*language)) == aliases.end())
        continue;
      const std::string v = SemverOf(*s, candidate);
      if (!SemverSatisfies(v, *version)) continue;
      if (!rt || CompareVersions(v, rt_version) > 0) {
        rt = candidate;
        rt_version = v;
      }
    }
    if (!rt) return Message(400, SanitizeUtf8(std::string(*language) + "-" + std::string(*version)) + " runtime is unknown");

    std::vector<std::string> encodings;
    for (const auto& f : file_list) {
      const json::value* e = f.as_object().if_contains("encoding");
      const std::string enc = e && e->is_string() ? std::string(e->as_string()) : "utf8";
      encodings.push_back(enc == "base64" || enc == "hex" ? enc : "utf8");
    }
    if (std::none_of(encodings.begin(), encodings.end(), [](const std::string& e) { return e == "utf8"; }))
      return Message(400, "files must include at least one utf8 encoded file");

    // Limits: Piston's checks and messages; its configured limits are the caller's maxima.
    const Limits max = s->MaxLimitsFor(req.principal->user_id, req.principal->role);
    int64_t given[2][3] = {};  // [compile, run][memory_limit, timeout, cpu_time]
    const char* constraints[] = {"memory_limit", "timeout", "cpu_time"};
    const char* types[] = {"compile", "run"};
    for (int c = 0; c < 3; ++c) {
      for (int t = 0; t < 2; ++t) {
        const std::string name = std::string(types[t]) + "_" + constraints[c];
        const json::value* v = body.if_contains(name);
        if (!v || v->is_null() || (v->is_bool() && !v->as_bool()) || (v->is_string() && v->as_string().empty()) ||
            (v->is_number() && v->to_number<double>() == 0))
          continue;  // not given (Piston skips falsy values)
        if (!v->is_number()) return Message(400, "If specified, " + name + " must be a number");
        const double value = v->to_number<double>();
        const int64_t configured = c == 0 ? static_cast<int64_t>(max.memory_bytes)
                                   : c == 1 ? static_cast<int64_t>(max.wall_time.count())
                                            : static_cast<int64_t>(max.cpu_time.count());
        if (value > static_cast<double>(configured))
          return Message(400, name + " cannot exceed the configured limit of " + std::to_string(configured));
        if (value < 0) {
          if (c == 0 && value == -1) continue;  // Piston's "no limit": the runtime's own here
          return Message(400, name + " must be non-negative");
        }
        given[t][c] = std::max<int64_t>(1, static_cast<int64_t>(value));
      }
    }

    std::string stdin_data;
    if (const json::value* in = body.if_contains("stdin"); in && !in->is_null()) {
      if (!in->is_string()) return Message(400, "stdin must be a string");
      stdin_data = std::string(in->as_string());
    }
    if (stdin_data.empty() || stdin_data.back() != '\n') stdin_data += '\n';  // as Piston does
    json::array args;
    if (const json::value* a = body.if_contains("args"); a && !a->is_null()) {
      if (!a->is_array()) return Message(400, "args must be an array of strings");
      for (const auto& arg : a->as_array()) {
        if (!arg.is_string()) return Message(400, "args must be an array of strings");
        args.push_back(arg);
      }
    }

    // Runlet's execute request: the files decoded, the first one the main file.
    json::array exec_files;
    std::set<std::string> names;
    for (size_t i = 0; i < file_list.size(); ++i) {
      const json::object& f = file_list[i].as_object();
      std::string name;
      if (const json::value* n = f.if_contains("name"); n && n->is_string() && !n->as_string().empty()) {
        name = std::string(n->as_string());
      } else {
        // Piston names unnamed files file0.code, file1.code...; the first gets the
        // runtime's main file name here, which its build and run commands expect.
        name = i == 0 ? rt->main_file : "file" + std::to_string(i) + ".code";
      }
      const std::string text(f.at("content").as_string());
      std::optional<std::string> content = encodings[i] == "base64" ? DecodeBase64(text)
                                           : encodings[i] == "hex"  ? DecodeHex(text)
                                                                    : std::optional<std::string>(text);
      if (!content) return Message(400, "files[" + std::to_string(i) + "].content is not valid " + encodings[i]);
      if (!names.insert(name).second) return Message(400, "files[" + std::to_string(i) + "].name repeats " + SanitizeUtf8(name));
      exec_files.push_back(json::object{{"name", name}, {"content", json::string(*content)}});
    }
    json::object limits{{"wall", std::to_string(given[1][1] ? given[1][1] : kRunTimeoutMs) + "ms"},
                        {"time", std::to_string(given[1][2] ? given[1][2] : kRunTimeoutMs) + "ms"}};
    if (given[1][0]) limits["memory"] = std::to_string(given[1][0]);
    json::object exec{{"runtime", rt->id},
                      {"files", exec_files},
                      {"main", exec_files.front().as_object().at("name")},
                      {"stdin", stdin_data},
                      {"args", args},
                      {"limits", limits}};
    auto run = s->ParseExecute(exec, *req.principal, &*rt);
    if (!run) return Message(StatusForKind(run.error().kind), run.error().message);
    if (run->job.build) {
      // Piston's compile defaults, or the runtime's own build limits where they are larger
      // (compile-heavy toolchains); within the caller's maxima.
      Limits l = run->job.build->limits;
      auto pick = [](int64_t given_ms, std::chrono::milliseconds own) {
        return given_ms ? std::chrono::milliseconds(given_ms) : std::max(own, std::chrono::milliseconds(kCompileTimeoutMs));
      };
      l.wall_time = pick(given[0][1], l.wall_time);
      l.cpu_time = pick(given[0][2], l.cpu_time);
      if (given[0][0]) l.memory_bytes = static_cast<uint64_t>(given[0][0]);
      run->job.build->limits = s->LimitsFor(*req.principal, l);
    }
    auto record = s->deps.runs.Submit(std::move(*run));
    if (!record) return Message(StatusForKind(record.error().kind), record.error().message);
    Response r;
    const std::string piston_language = PistonLanguage(*rt);
    r.deferred = [s, id = record->id, piston_language, rt_version](std::function<void(Response)> deliver) {
      s->deps.runs.OnFinished(id, [deliver, piston_language, rt_version](const store::RunRecord& rec) {
        json::object out{{"language", piston_language}, {"version", rt_version}};
        if (rec.build) out["compile"] = Stage(*rec.build);
        // A failed compile: the run stage is the compile stage (as Piston answers).
        if (rec.result.status == RunStatus::kCompileError && rec.build) {
          out["run"] = out["compile"];
        } else {
          out["run"] = Stage(rec.result);
        }
        deliver(Ok(out));
      });
    };
    return r;
  }, kServerMaximum);
}

}  // namespace runlet::api::compat
