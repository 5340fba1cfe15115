// Judge0 CE under /judge0: languages, statuses, submissions (single, batch, paged),
// about and config_info. A submission becomes one Runlet execute run per
// `number_of_runs` (ApiState::ParseExecute, the run manager); its token is Judge0's
// (a UUID), and what Judge0 keeps beside the run (the request's fields, the runs) is a
// small document in the store's settings under "judge0:<user id>:<token>", so that a
// token is only ever looked up among its owner's.
#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <variant>

#include "api/compat.h"
#include "image/project_archive.h"
#include "auth/secrets.h"
#include "core/hex.h"
#include "core/json.h"
#include "core/log.h"
#include "core/utf8.h"

namespace runlet::api::compat {
namespace {

// Judge0's defaults and maxima (its judge0.conf), in its units: seconds and kilobytes.
constexpr double kCpuTimeLimit = 5, kMaxCpuTimeLimit = 15;
constexpr double kCpuExtraTime = 1, kMaxCpuExtraTime = 5;
constexpr double kWallTimeLimit = 10, kMaxWallTimeLimit = 20;
constexpr int64_t kMemoryLimitKb = 128000, kMaxMemoryLimitKb = 512000;
constexpr int64_t kStackLimitKb = 64000, kMaxStackLimitKb = 128000;
constexpr int64_t kMaxProcesses = 60, kMaxMaxProcesses = 120;
constexpr int64_t kMaxFileSizeKb = 1024, kMaxMaxFileSizeKb = 4096;
constexpr int64_t kMaxNumberOfRuns = 20;
constexpr int64_t kMaxExtractSizeKb = 10240;
constexpr size_t kMaxBatch = 20;
constexpr int64_t kPerPage = 20;
constexpr int kMultiFileId = 89;
constexpr const char* kConversionError =
    "some attributes for this submission cannot be converted to UTF-8, use base64_encoded=true query parameter";

Response JudgeError(int status, const std::string& message) {
  Response r = Json(status, JsonText(json::object{{"error", message}}));
  if (status == 429 || status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

// --- Languages ---

struct LanguageName {
  int id;
  std::vector<const char*> languages;  // Runlet's names of it
  const char* display;                 // Judge0's
  const char* toolchain;               // before the version in the name: "GCC", "" for none
};

// Judge0 CE's ids of the languages it shares with Runlet's runtimes.
const std::vector<LanguageName>& KnownLanguages() {
  static const std::vector<LanguageName> list = {
      {45, {"assembly", "nasm"}, "Assembly", "NASM"},
      {46, {"bash"}, "Bash", ""},
      {47, {"basic", "freebasic"}, "Basic", "FBC"},
      {50, {"c"}, "C", "GCC"},
      {51, {"csharp", "c#"}, "C#", "Mono"},
      {54, {"cpp", "c++"}, "C++", "GCC"},
      {55, {"commonlisp", "common-lisp", "lisp"}, "Common Lisp", "SBCL"},
      {56, {"d"}, "D", ""},
      {57, {"elixir"}, "Elixir", ""},
      {58, {"erlang"}, "Erlang", "OTP"},
      {59, {"fortran"}, "Fortran", "GFortran"},
      {60, {"go"}, "Go", ""},
      {61, {"haskell"}, "Haskell", "GHC"},
      {62, {"java"}, "Java", "OpenJDK"},
      {63, {"javascript", "node"}, "JavaScript", "Node.js"},
      {64, {"lua"}, "Lua", ""},
      {65, {"ocaml"}, "OCaml", ""},
      {66, {"octave"}, "Octave", ""},
      {67, {"pascal"}, "Pascal", "FPC"},
      {68, {"php"}, "PHP", ""},
      {71, {"python"}, "Python", ""},
      {72, {"ruby"}, "Ruby", ""},
      {73, {"rust"}, "Rust", ""},
      {74, {"typescript"}, "TypeScript", ""},
      {77, {"cobol"}, "COBOL", "GnuCOBOL"},
      {78, {"kotlin"}, "Kotlin", ""},
      {79, {"objective-c", "objectivec", "objc"}, "Objective-C", "GCC"},
      {80, {"r"}, "R", ""},
      {81, {"scala"}, "Scala", ""},
      {82, {"sql", "sqlite"}, "SQL", "SQLite"},
      {83, {"swift"}, "Swift", ""},
      {85, {"perl"}, "Perl", ""},
      {86, {"clojure"}, "Clojure", ""},
      {87, {"fsharp", "f#"}, "F#", ".NET"},
      {88, {"groovy"}, "Groovy", ""},
  };
  return list;
}

struct Language {
  int id = 0;
  std::string name;
  bool archived = false;  // its runtime cannot run here
  std::optional<runtime::Runtime> rt;
};

int VersionKey(const std::string& semver) {
  int a = 0, b = 0, c = 0;
  std::sscanf(semver.c_str(), "%d.%d.%d", &a, &b, &c);
  return a * 1000000 + b * 1000 + c;
}

std::string JoinCommand(const runtime::CommandTemplate& c) {
  if (!c.shell.empty()) return c.shell;
  std::string out;
  for (const auto& a : c.argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

// Each Judge0 id with the newest enabled runtime of its language (an available one
// first), and 89, the multi-file program, when Bash can run.
std::vector<Language> Languages(ApiState& s) {
  std::vector<runtime::Runtime> runtimes;
  {
    std::lock_guard lock(s.catalog_mu);
    for (const auto& rt : s.deps.catalog.runtimes()) {
      if (rt.enabled) runtimes.push_back(rt);
    }
  }
  std::vector<Language> out;
  for (const auto& known : KnownLanguages()) {
    std::optional<runtime::Runtime> best;
    bool best_available = false;
    int best_key = -1;
    for (const auto& rt : runtimes) {
      if (std::find(known.languages.begin(), known.languages.end(), rt.language) == known.languages.end()) continue;
      const bool available = s.Unavailable(rt.id).empty();
      const int key = VersionKey(SemverOf(s, rt));
      if (!best || (available && !best_available) || (available == best_available && key > best_key)) {
        best = rt;
        best_available = available;
        best_key = key;
      }
    }
    if (!best) continue;
    Language l;
    l.id = known.id;
    l.name = std::string(known.display) + " (" + (*known.toolchain ? std::string(known.toolchain) + " " : "") +
             SemverOf(s, *best) + ")";
    l.archived = !best_available;
    l.rt = best;
    out.push_back(std::move(l));
    if (known.id == 46) {
      Language multi;
      multi.id = kMultiFileId;
      multi.name = "Multi-file program";
      multi.archived = !best_available;
      multi.rt = best;
      out.push_back(std::move(multi));
    }
  }
  std::sort(out.begin(), out.end(), [](const Language& a, const Language& b) { return a.id < b.id; });
  return out;
}

std::optional<Language> FindLanguage(ApiState& s, int64_t id) {
  for (auto& l : Languages(s)) {
    if (l.id == id) return l;
  }
  return std::nullopt;
}

json::object LanguageJson(const Language& l, bool full) {
  json::object o{{"id", l.id}, {"name", l.name}};
  if (full) {
    o["is_archived"] = l.archived;
    if (l.id == kMultiFileId) {
      o["source_file"] = nullptr;
      o["compile_cmd"] = "/bin/bash compile";
      o["run_cmd"] = "/bin/bash run";
    } else {
      o["source_file"] = l.rt->main_file;
      o["compile_cmd"] = l.rt->build.empty() ? json::value(nullptr) : json::value(JoinCommand(l.rt->build));
      o["run_cmd"] = JoinCommand(l.rt->run);
    }
  }
  return o;
}

// --- Statuses ---

const char* Judge0StatusName(int id) {
  static const char* names[] = {"",
                                "In Queue",
                                "Processing",
                                "Accepted",
                                "Wrong Answer",
                                "Time Limit Exceeded",
                                "Compilation Error",
                                "Runtime Error (SIGSEGV)",
                                "Runtime Error (SIGXFSZ)",
                                "Runtime Error (SIGFPE)",
                                "Runtime Error (SIGABRT)",
                                "Runtime Error (NZEC)",
                                "Runtime Error (Other)",
                                "Internal Error",
                                "Exec Format Error"};
  return id >= 1 && id <= 14 ? names[id] : "";
}

// Runlet's result as Judge0's status id (the output compared when the run ended ok).
int StatusId(const RunResult& r, const std::optional<std::string>& expected) {
  switch (r.status) {
    case RunStatus::kQueued: return 1;
    case RunStatus::kBuilding:
    case RunStatus::kRunning: return 2;
    case RunStatus::kOk: return !expected || OutputsMatch(*expected, r.stdout_data) ? 3 : 4;
    case RunStatus::kTimeLimit: return 5;
    case RunStatus::kCompileError: return 6;
    case RunStatus::kOutputLimit: return 8;  // Judge0's output goes to a size-limited file
    case RunStatus::kMemoryLimit: return 12;
    case RunStatus::kRuntimeError: {
      // Judge0's runtime errors by signal: SIGSEGV, SIGXFSZ, SIGFPE, SIGABRT, others.
      const int signal = r.signal.value_or(0);
      return !r.signal ? 11 : signal == 11 ? 7 : signal == 25 ? 8 : signal == 8 ? 9 : signal == 6 ? 10 : 12;
    }
    case RunStatus::kCancelled:
    case RunStatus::kInternalError: break;
  }
  return 13;
}

// --- Submissions ---

// Every field of a submission, in Judge0's order, and the default set.
const std::vector<std::string>& AllFields() {
  static const std::vector<std::string> fields = {
      "source_code", "language_id", "stdin", "expected_output", "stdout", "status_id", "created_at", "finished_at",
      "time", "memory", "stderr", "token", "number_of_runs", "cpu_time_limit", "cpu_extra_time", "wall_time_limit",
      "memory_limit", "stack_limit", "max_processes_and_or_threads", "enable_per_process_and_thread_time_limit",
      "enable_per_process_and_thread_memory_limit", "max_file_size", "compile_output", "exit_code", "exit_signal",
      "message", "wall_time", "compiler_options", "command_line_arguments", "redirect_stderr_to_stdout",
      "callback_url", "additional_files", "enable_network", "started_at", "queued_at", "updated_at", "queue_host",
      "execution_host", "status", "language"};
  return fields;
}
const std::vector<std::string> kDefaultFields = {"token", "time", "memory", "stdout", "stderr", "compile_output",
                                                 "message", "status"};

// ?fields=: "*" is every field, nothing the default ones; unknown names are an error.
Result<std::vector<std::string>> RequestedFields(const Request& req) {
  const std::string text = req.Query("fields");
  std::vector<std::string> fields, invalid;
  bool all = false;
  size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string f = text.substr(start, end - start);
    if (f == "*") {
      all = true;
    } else if (!f.empty()) {
      if (std::find(AllFields().begin(), AllFields().end(), f) == AllFields().end()) invalid.push_back(f);
      else if (std::find(fields.begin(), fields.end(), f) == fields.end()) fields.push_back(f);
    }
    start = end + 1;
  }
  if (!invalid.empty()) {
    std::string list;
    for (const auto& f : invalid) list += (list.empty() ? "" : ", ") + f;
    return Fail(ErrorKind::kInvalid, "invalid fields: [" + SanitizeUtf8(list) + "]");
  }
  if (all) return AllFields();
  if (fields.empty()) return kDefaultFields;
  return fields;
}

std::string Key(int64_t user, const std::string& token) { return "judge0:" + std::to_string(user) + ":" + token; }

// A number as Judge0 reads its fields: a JSON number or a numeric string.
std::optional<double> Number(const json::value& v) {
  if (v.is_number()) return v.to_number<double>();
  if (v.is_string()) {
    const std::string text(v.as_string());
    char* end = nullptr;
    const double d = std::strtod(text.c_str(), &end);
    if (!text.empty() && end && *end == '\0' && std::isfinite(d)) return d;
  }
  return std::nullopt;
}

std::optional<bool> Bool(const json::value& v) {
  if (v.is_bool()) return v.as_bool();
  if (v.is_string()) {
    if (v.as_string() == "true" || v.as_string() == "1") return true;
    if (v.as_string() == "false" || v.as_string() == "0") return false;
  }
  if (v.is_number()) return v.to_number<double>() != 0;
  return std::nullopt;
}

std::string Seconds(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ms) / 1000.0);
  return buf;
}

// Command line arguments as a shell would split them (quotes group, no expansion).
std::vector<std::string> SplitArguments(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (char c : text) {
    if (quote) {
      if (c == quote) quote = 0;
      else cur += c;
    } else if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) out.push_back(std::move(cur));
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (in_word) out.push_back(std::move(cur));
  return out;
}

// The files of a zip archive (additional_files), at most kMaxExtractSizeKb together: the
// project archive reader's rules (image/project_archive.h: regular files only, the path
// rules, sizes counted while decompressing, UTF-8 names).
Result<std::vector<InputFile>> Unzip(const std::string& zip, size_t max_files) {
  const uint64_t max_bytes = static_cast<uint64_t>(kMaxExtractSizeKb) * 1024;
  auto read = image::ReadProjectArchive(zip, {max_files, max_bytes, max_bytes});
  if (!read) return Fail(ErrorKind::kInvalid, "additional_files: " + read.error().message);
  std::vector<InputFile> files;
  files.reserve(read->size());
  for (auto& f : *read) {
    InputFile in;
    in.path = std::move(f.path);
    in.content = std::move(f.content);
    files.push_back(std::move(in));
  }
  return files;
}

// Field errors, Judge0's 422 body: {"field": ["message", ...]}.
struct FieldErrors {
  json::object errors;
  void Add(const std::string& field, const std::string& message) {
    auto& list = errors[field];
    if (!list.is_array()) list = json::array();
    list.as_array().emplace_back(message);
  }
  bool empty() const { return errors.empty(); }
};

std::string FormatLimit(double d) {
  // Ruby prints floats as 15.0; whole numbers of integer fields plainly.
  char buf[32];
  if (d == std::floor(d)) std::snprintf(buf, sizeof buf, "%.1f", d);
  else std::snprintf(buf, sizeof buf, "%g", d);
  return buf;
}

// One request's view of submissions: the state and who asks.
class Judge0 {
 public:
  Judge0(std::shared_ptr<ApiState> s, const Principal& who) : s_(std::move(s)), who_(who) {}

  // Checks one submission's fields; its document, or 422's field errors. Texts are decoded
  // from base64 when `base64`.
  std::variant<json::object, FieldErrors, Response> Validate(const json::value& value, bool base64) {
    FieldErrors errors;
    if (!value.is_object()) {
      errors.Add("submission", "must be a JSON object");
      return errors;
    }
    const json::object& in = value.as_object();
    json::object doc;
    // Texts.
    for (const char* key : {"source_code", "stdin", "expected_output"}) {
      const json::value* v = in.if_contains(key);
      if (!v || v->is_null()) {
        doc[key] = nullptr;
        continue;
      }
      if (!v->is_string()) {
        errors.Add(key, "must be a string");
        continue;
      }
      std::string text(v->as_string());
      if (base64) {
        auto decoded = DecodeBase64(text);
        if (!decoded) {
          errors.Add(key, "is not valid base64");
          continue;
        }
        text = std::move(*decoded);
      }
      doc[key] = EncodeBase64(text);  // stored encoded: any bytes
    }
    // Language.
    std::optional<Language> language;
    const json::value* lang = in.if_contains("language_id");
    if (!lang || lang->is_null() || (lang->is_string() && lang->as_string().empty())) {
      errors.Add("language_id", "can't be blank");
    } else if (auto id = Number(*lang); !id || *id != std::floor(*id)) {
      errors.Add("language_id", "language with id " + SanitizeUtf8(lang->is_string() ? std::string(lang->as_string()) : JsonText(*lang)) + " doesn't exist");
    } else {
      language = FindLanguage(*s_, static_cast<int64_t>(*id));
      if (!language) errors.Add("language_id", "language with id " + std::to_string(static_cast<int64_t>(*id)) + " doesn't exist");
      else if (language->archived)
        errors.Add("language_id", "language with id " + std::to_string(language->id) + " is archived and cannot be used anymore");
      else doc["language_id"] = language->id;
    }
    const bool project = language && language->id == kMultiFileId;
    const bool has_source = !doc["source_code"].is_null() && !doc["source_code"].as_string().empty();
    if (!project && !has_source && !errors.errors.contains("source_code")) errors.Add("source_code", "can't be blank");
    if (project && has_source) errors.Add("source_code", "must be blank");
    // Additional files: a base64 zip, whatever ?base64_encoded says.
    doc["additional_files"] = nullptr;
    if (const json::value* v = in.if_contains("additional_files"); v && !v->is_null() && !(v->is_string() && v->as_string().empty())) {
      if (!v->is_string()) {
        errors.Add("additional_files", "must be a base64 encoded zip archive");
      } else if (auto zip = DecodeBase64(v->as_string()); !zip) {
        errors.Add("additional_files", "must be a base64 encoded zip archive");
      } else if (auto files = Unzip(*zip, s_->deps.project_limits.files); !files) {
        errors.Add("additional_files", files.error().message);
      } else {
        doc["additional_files"] = EncodeBase64(*zip);
      }
    } else if (project) {
      errors.Add("additional_files", "can't be blank");
    }
    // Numbers within Judge0's bounds (the caller's maxima where those are lower).
    const Limits max = s_->MaxLimitsFor(who_->user_id, who_->role);
    const double max_cpu = std::min(kMaxCpuTimeLimit, static_cast<double>(max.cpu_time.count()) / 1000.0);
    const double max_wall = std::min(kMaxWallTimeLimit, static_cast<double>(max.wall_time.count()) / 1000.0);
    const double max_memory = std::min<double>(kMaxMemoryLimitKb, static_cast<double>(max.memory_bytes / 1024));
    const double max_processes = std::min<double>(kMaxMaxProcesses, max.pids);
    struct Bound {
      const char* key;
      double def, low, high;
      bool low_open;  // "greater than" rather than "greater than or equal to"
      bool integer;
    };
    const Bound bounds[] = {
        {"number_of_runs", 1, 0, kMaxNumberOfRuns, true, true},
        {"cpu_time_limit", kCpuTimeLimit, 0, max_cpu, false, false},
        {"cpu_extra_time", kCpuExtraTime, 0, kMaxCpuExtraTime, false, false},
        {"wall_time_limit", kWallTimeLimit, 1, max_wall, false, false},
        {"memory_limit", static_cast<double>(kMemoryLimitKb), 2048, max_memory, false, true},
        {"stack_limit", static_cast<double>(kStackLimitKb), 0, kMaxStackLimitKb, false, true},
        {"max_processes_and_or_threads", static_cast<double>(kMaxProcesses), 0, max_processes, true, true},
        {"max_file_size", static_cast<double>(kMaxFileSizeKb), 0, kMaxMaxFileSizeKb, false, true},
    };
    for (const auto& b : bounds) {
      const json::value* v = in.if_contains(b.key);
      double value = b.def;
      bool given = false;
      if (v && !v->is_null() && !(v->is_string() && v->as_string().empty())) {
        auto n = Number(*v);
        if (!n) {
          errors.Add(b.key, "is not a number");
          continue;
        }
        value = *n;
        given = true;
      }
      auto whole = [&](double d) { return b.integer ? std::to_string(static_cast<int64_t>(d)) : FormatLimit(d); };
      if (b.low_open ? !(value > b.low) : !(value >= b.low)) {
        errors.Add(b.key, std::string("must be greater than ") + (b.low_open ? "" : "or equal to ") + whole(b.low));
        continue;
      }
      if (!(value <= b.high)) {
        errors.Add(b.key, "must be less than or equal to " + whole(b.high));
        continue;
      }
      if (b.integer && value != std::floor(value)) {
        errors.Add(b.key, "must be an integer");
        continue;
      }
      doc[b.key] = b.integer ? json::value(static_cast<int64_t>(value)) : json::value(value);
      doc[std::string(b.key) + "_given"] = given;
    }
    for (const char* key : {"enable_per_process_and_thread_time_limit", "enable_per_process_and_thread_memory_limit"}) {
      const json::value* v = in.if_contains(key);
      auto b = v && !v->is_null() ? Bool(*v) : std::optional<bool>(false);
      if (!b) errors.Add(key, "must be true or false");
      else if (*b) errors.Add(key, "this option cannot be enabled");
      else doc[key] = false;
    }
    if (const json::value* v = in.if_contains("enable_network"); v && !v->is_null()) {
      auto b = Bool(*v);
      if (!b) errors.Add("enable_network", "must be true or false");
      else if (*b) errors.Add("enable_network", "enabling network is not allowed");
    }
    doc["enable_network"] = false;
    doc["redirect_stderr_to_stdout"] = false;
    if (const json::value* v = in.if_contains("redirect_stderr_to_stdout"); v && !v->is_null()) {
      auto b = Bool(*v);
      if (!b) errors.Add("redirect_stderr_to_stdout", "must be true or false");
      else doc["redirect_stderr_to_stdout"] = *b;
    }
    for (const char* key : {"compiler_options", "command_line_arguments", "callback_url"}) {
      const json::value* v = in.if_contains(key);
      doc[key] = nullptr;
      if (!v || v->is_null() || (v->is_string() && v->as_string().empty())) continue;
      if (!v->is_string()) {
        errors.Add(key, "must be a string");
        continue;
      }
      if (std::string_view(key) != "callback_url" && v->as_string().size() > 512) {
        errors.Add(key, "is too long (maximum is 512 characters)");
        continue;
      }
      if (std::string_view(key) == "compiler_options") {
        errors.Add(key, "setting compiler options is not allowed");
        continue;
      }
      if (std::string_view(key) == "callback_url" && (!s_->deps.admit_callback || !s_->deps.put_callback)) {
        errors.Add(key, "setting callback is not allowed");
        continue;
      }
      doc[key] = *v;
    }
    if (!errors.empty()) return errors;
    doc["token"] = NewUuid();
    doc["user_id"] = who_->user_id;
    doc["created_at"] = store::NowRfc3339();
    doc["runs"] = json::array();
    return doc;
  }

  // The execute request of one run of `doc`.
  Result<runs::RunRequest> RunRequestFor(const json::object& doc) {
    auto language = FindLanguage(*s_, doc.at("language_id").to_number<int64_t>());
    if (!language || language->archived) return Fail(ErrorKind::kUnavailable, "the submission's language is not available any more");
    runtime::Runtime rt = *language->rt;
    json::array files;
    if (language->id == kMultiFileId) {
      // Judge0's multi-file program: its `compile` script (if any) builds, its `run` runs.
      rt.id = "judge0-multi-file";
      rt.main_file = "run";
      rt.build = {};
      rt.run = {{"/bin/bash", "run"}, ""};
    } else {
      files.push_back(json::object{{"name", rt.main_file}, {"content", *DecodeBase64(doc.at("source_code").as_string())}});
    }
    bool has_compile = false;
    if (doc.at("additional_files").is_string()) {
      auto unzipped = Unzip(*DecodeBase64(doc.at("additional_files").as_string()), s_->deps.project_limits.files);
      if (!unzipped) return tl::unexpected(unzipped.error());
      for (auto& f : *unzipped) {
        if (language->id != kMultiFileId && f.path == rt.main_file) continue;  // the source code wins
        has_compile = has_compile || f.path == "compile";
        files.push_back(json::object{{"name", f.path}, {"content", json::string(f.content)}});
      }
    }
    if (language->id == kMultiFileId) {
      if (has_compile) rt.build = {{}, "/bin/bash compile"};
      const bool has_run = std::any_of(files.begin(), files.end(), [](const json::value& f) {
        return f.as_object().at("name").as_string() == "run";
      });
      if (!has_run) return Fail(ErrorKind::kInvalid, "additional_files has no run script");
    }
    auto seconds = [&](const char* key) { return doc.at(key).to_number<double>(); };
    const auto ms = [](double s) { return std::to_string(static_cast<int64_t>(std::llround(s * 1000))) + "ms"; };
    json::object limits{{"time", ms(seconds("cpu_time_limit") + seconds("cpu_extra_time"))},
                        {"wall", ms(seconds("wall_time_limit"))}};
    // Memory and processes: the client's when given, else the runtime's own (a JVM or Go
    // needs more than Judge0's 128 MB and 60 threads by default).
    if (doc.at("memory_limit_given").as_bool()) limits["memory"] = std::to_string(doc.at("memory_limit").to_number<int64_t>() * 1024);
    if (doc.at("max_processes_and_or_threads_given").as_bool())
      limits["pids"] = std::to_string(doc.at("max_processes_and_or_threads").to_number<int64_t>());
    json::array args;
    if (doc.at("command_line_arguments").is_string()) {
      for (auto& a : SplitArguments(std::string(doc.at("command_line_arguments").as_string()))) args.emplace_back(a);
    }
    std::string stdin_data;
    if (doc.at("stdin").is_string()) stdin_data = *DecodeBase64(doc.at("stdin").as_string());
    json::object exec{{"files", files}, {"stdin", stdin_data}, {"args", args}, {"limits", limits}};
    auto run = s_->ParseExecute(exec, *who_, &rt);
    if (!run) return tl::unexpected(run.error());
    // Stack and file size (KB), which the execute API does not take.
    Limits& l = run->job.run.limits;
    l.stack_bytes = static_cast<uint64_t>(doc.at("stack_limit").to_number<int64_t>()) * 1024;
    if (doc.at("max_file_size_given").as_bool())
      l.file_size_bytes = static_cast<uint64_t>(doc.at("max_file_size").to_number<int64_t>()) * 1024;
    l = s_->LimitsFor(*who_, l);
    return run;
  }

  static std::string NewUuid() {
    unsigned char raw[16];
    randombytes_buf(raw, sizeof raw);
    raw[6] = static_cast<unsigned char>((raw[6] & 0x0f) | 0x40);  // version 4
    raw[8] = static_cast<unsigned char>((raw[8] & 0x3f) | 0x80);  // RFC 4122 variant
    const std::string hex = HexEncode(raw, sizeof raw);
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
           hex.substr(20, 12);
  }

 private:
  std::shared_ptr<ApiState> s_;
  std::optional<Principal> who_;
};

}  // namespace
namespace {

// The stored document of `token` if `user` made it.
std::optional<json::object> LoadSubmission(ApiState& s, int64_t user, const std::string& token) {
  if (token.size() > 64) return std::nullopt;
  auto text = s.deps.store.GetSetting(Key(user, token));
  if (!text || !*text) return std::nullopt;
  auto doc = ParseJson(**text);
  const json::value* runs = doc && doc->is_object() ? doc->as_object().if_contains("runs") : nullptr;
  if (!runs || !runs->is_array()) return std::nullopt;
  if (!runs->as_array().empty()) {
    // Its runs were pruned (the storage policy): it goes with them.
    auto last = s.deps.store.GetRunHeader(std::string(runs->as_array().back().as_string()));
    if (last && !*last) {
      (void)s.deps.store.DeleteSetting(Key(user, token));
      return std::nullopt;
    }
  }
  return doc->as_object();
}

Status SaveSubmission(ApiState& s, const json::object& doc) {
  return s.deps.store.PutSetting(Key(doc.at("user_id").to_number<int64_t>(), std::string(doc.at("token").as_string())),
                                 JsonText(doc));
}

// `user`'s submissions. Those whose runs the run manager has pruned (the storage policy's
// execute_runs_keep_days and execute_runs_per_user) are deleted with them here, so that
// submissions stay within the same bounds as the runs.
Result<std::vector<json::object>> UserSubmissions(ApiState& s, int64_t user) {
  auto stored = s.deps.store.ListSettings("judge0:" + std::to_string(user) + ":");
  if (!stored) return tl::unexpected(stored.error());
  std::vector<json::object> docs;
  for (const auto& [key, text] : *stored) {
    auto doc = ParseJson(text);
    const json::value* runs = doc && doc->is_object() ? doc->as_object().if_contains("runs") : nullptr;
    if (!runs || !runs->is_array()) continue;
    if (!runs->as_array().empty()) {
      auto last = s.deps.store.GetRunHeader(std::string(runs->as_array().back().as_string()));
      if (last && !*last) {
        (void)s.deps.store.DeleteSetting(key);
        continue;
      }
    }
    docs.push_back(std::move(doc->as_object()));
  }
  return docs;
}

std::optional<std::string> DocText(const json::object& doc, const char* key) {
  const json::value* v = doc.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return DecodeBase64(v->as_string());
}

// A submission as Judge0 shows it: `fields` of it, texts in base64 (MIME style) when
// `base64`; kInvalid when a text is not UTF-8 and `base64` is false.
Result<json::object> Render(ApiState& s, const json::object& doc, const std::vector<std::string>& fields, bool base64) {
  // Its runs, and what they add up to.
  std::vector<store::RunRecord> runs;
  for (const auto& id : doc.at("runs").as_array()) {
    auto r = s.deps.store.GetRun(std::string(id.as_string()));
    if (r && *r) runs.push_back(std::move(**r));
  }
  const std::optional<std::string> expected = DocText(doc, "expected_output");
  const int64_t wanted = doc.at("number_of_runs").to_number<int64_t>();
  const bool redirect = doc.at("redirect_stderr_to_stdout").as_bool();
  json::object all;
  int status = 1;
  json::value time = nullptr, wall = nullptr, memory = nullptr, exit_code = nullptr, exit_signal = nullptr;
  json::value stdout_text = nullptr, stderr_text = nullptr, compile_output = nullptr, message = nullptr;
  json::value started = nullptr, finished = nullptr;
  std::string updated = std::string(doc.at("created_at").as_string());
  auto text = [](const std::string& t) { return t.empty() ? json::value(nullptr) : json::value(t); };
  if (const json::value* e = doc.if_contains("error"); e && e->is_string()) {
    status = 13;
    message = *e;
  } else if (!runs.empty()) {
    const store::RunRecord& last = runs.back();
    started = runs.front().started_at.empty() ? json::value(nullptr) : json::value(runs.front().started_at);
    status = StatusId(last.result, expected);
    if (status == 3 && static_cast<int64_t>(runs.size()) < wanted) status = 2;  // more runs to come
    if (IsFinal(last.result.status) && status != 2) {
      finished = last.finished_at;
      updated = last.finished_at;
      if (last.build) compile_output = text(last.build->stdout_data + last.build->stderr_data);
      if (last.result.status != RunStatus::kCompileError) {
        int64_t cpu = 0, wall_ms = 0;
        uint64_t mem = 0;
        for (const auto& r : runs) {
          cpu += r.result.cpu_time_ms;
          wall_ms += r.result.wall_time_ms;
          mem += r.result.memory_peak_bytes;
        }
        const auto n = static_cast<int64_t>(runs.size());
        time = Seconds(cpu / n);
        wall = Seconds(wall_ms / n);
        memory = static_cast<int64_t>(mem / static_cast<uint64_t>(n) / 1024);
        std::string out = last.result.stdout_data, err = last.result.stderr_data;
        if (redirect) {
          out += err;
          err.clear();
        }
        stdout_text = text(out);
        stderr_text = text(err);
        if (last.result.exit_code) exit_code = *last.result.exit_code;
        if (last.result.signal) exit_signal = *last.result.signal;
      }
      if (status != 3 && status != 4 && !last.result.message.empty()) message = last.result.message;
    }
  }
  // Texts: as they are (UTF-8 only), or base64.
  bool not_utf8 = false;
  auto out_text = [&](const json::value& v) -> json::value {
    if (v.is_null()) return nullptr;
    const std::string t(v.as_string());
    if (base64) return json::value(EncodeBase64Mime(t));
    if (!IsValidUtf8(t)) not_utf8 = true;
    return json::value(t);
  };
  auto stored_text = [&](const char* key) -> json::value {
    auto t = DocText(doc, key);
    return t ? out_text(json::value(*t)) : json::value(nullptr);
  };
  for (const auto& f : fields) {
    json::value v = nullptr;
    if (f == "source_code" || f == "stdin" || f == "expected_output") v = stored_text(f.c_str());
    else if (f == "stdout") v = out_text(stdout_text);
    else if (f == "stderr") v = out_text(stderr_text);
    else if (f == "compile_output") v = out_text(compile_output);
    else if (f == "message") v = message.is_null() ? json::value(nullptr) : (base64 ? json::value(EncodeBase64Mime(message.as_string())) : message);
    else if (f == "status") v = json::object{{"id", status}, {"description", Judge0StatusName(status)}};
    else if (f == "status_id") v = status;
    else if (f == "language") {
      auto l = FindLanguage(s, doc.at("language_id").to_number<int64_t>());
      v = json::object{{"id", doc.at("language_id")}, {"name", l ? json::value(l->name) : json::value(nullptr)}};
    } else if (f == "time") v = time;
    else if (f == "wall_time") v = wall;
    else if (f == "memory") v = memory;
    else if (f == "exit_code") v = exit_code;
    else if (f == "exit_signal") v = exit_signal;
    else if (f == "token") v = doc.at("token");
    else if (f == "created_at" || f == "queued_at") v = doc.at("created_at");
    else if (f == "started_at") v = started;
    else if (f == "finished_at") v = finished;
    else if (f == "updated_at") v = updated;
    else if (f == "queue_host" || f == "execution_host") v = nullptr;
    else if (f == "additional_files") {
      auto zip = DocText(doc, "additional_files");
      v = zip ? json::value(EncodeBase64Mime(*zip)) : json::value(nullptr);
    } else if (f == "cpu_time_limit" || f == "cpu_extra_time" || f == "wall_time_limit") {
      v = json::string(FormatLimit(doc.at(f).to_number<double>()));  // Judge0's decimals are strings: "5.0"
    } else if (const json::value* d = doc.if_contains(f)) v = *d;
    all[f] = v;
  }
  if (not_utf8) return Fail(ErrorKind::kInvalid, kConversionError);
  return all;
}

// Starts the next run of a submission; when the last one has ended (or one was not
// accepted), `done` gets the final document.
void StartRun(std::shared_ptr<ApiState> s, Principal who, json::object doc, std::function<void(json::object)> done,
              std::function<void(const runlet::Error&)> refused) {
  auto run = Judge0(s, who).RunRequestFor(doc);
  if (run) {
    auto record = s->deps.runs.Submit(std::move(*run));
    if (record) {
      doc["runs"].as_array().emplace_back(record->id);
      (void)SaveSubmission(*s, doc);
      s->deps.runs.OnFinished(record->id, [s, who, doc, done, refused](const store::RunRecord& rec) {
        const bool accepted = StatusId(rec.result, DocText(doc, "expected_output")) == 3;
        if (accepted && static_cast<int64_t>(doc.at("runs").as_array().size()) < doc.at("number_of_runs").to_number<int64_t>()) {
          // Later runs that cannot start end the submission as an internal error.
          StartRun(s, who, doc, done, [s, doc, done](const runlet::Error& e) mutable {
            doc["error"] = "run " + std::to_string(doc.at("runs").as_array().size() + 1) + " could not start: " + e.message;
            (void)SaveSubmission(*s, doc);
            done(doc);
          });
          return;
        }
        done(doc);
      });
      return;
    }
    return refused(record.error());
  }
  refused(run.error());
}

Response RenderResponse(ApiState& s, const json::object& doc, const std::vector<std::string>& fields, bool base64,
                        int status) {
  auto body = Render(s, doc, fields, base64);
  if (!body) {
    json::object e{{"error", body.error().message}};
    if (status == 201) e["token"] = doc.at("token");
    return Json(status == 201 ? 201 : 400, JsonText(e));
  }
  return Ok(*body, status);
}

// Creates one submission (validated into `doc`): its first run starts, after the
// callback's address is admitted when it has one. `deliver` gets 201 with the token, or
// the whole submission once final when `wait`.
void Create(std::shared_ptr<ApiState> s, Principal who, json::object doc, bool wait, bool base64,
            std::vector<std::string> fields, std::function<void(Response)> deliver) {
  auto start = [s, who, wait, base64, fields, deliver](json::object doc, std::optional<uint64_t> ticket) {
    const std::string token(doc.at("token").as_string());
    auto refused = [s, doc, ticket, deliver](const runlet::Error& e) {
      if (ticket) s->deps.release_callback(*ticket);
      (void)s->deps.store.DeleteSetting(Key(doc.at("user_id").to_number<int64_t>(), std::string(doc.at("token").as_string())));
      const int status = StatusForKind(e.kind);
      if (status == 400) {
        FieldErrors errors;
        errors.Add(e.message.rfind("additional_files", 0) == 0 ? "additional_files" : "source_code", e.message);
        return deliver(Json(422, JsonText(errors.errors)));
      }
      deliver(JudgeError(status == 500 ? 500 : status, e.kind == ErrorKind::kInternal ? "internal error" : e.message));
    };
    if (auto st = SaveSubmission(*s, doc); !st) return refused(st.error());
    static std::atomic<uint64_t> created{0};
    if (++created % 64 == 0) (void)UserSubmissions(*s, who.user_id);  // drops those whose runs are gone
    StartRun(s, who, doc, [s, ticket, wait, base64, fields, deliver](json::object final_doc) {
      if (ticket) {
        auto body = Render(*s, final_doc, kDefaultFields, true);
        if (body) s->deps.put_callback(*ticket, JsonText(*body));
        else s->deps.release_callback(*ticket);
      }
      if (wait) deliver(RenderResponse(*s, final_doc, fields, base64, 201));
    }, refused);
    // (A refusal above has delivered already; otherwise the token now.)
    if (!wait) {
      auto saved = LoadSubmission(*s, who.user_id, token);
      if (saved) deliver(Ok(json::object{{"token", token}}, 201));
    }
  };
  if (!doc.at("callback_url").is_string()) return start(std::move(doc), std::nullopt);
  const std::string url(doc.at("callback_url").as_string());
  s->deps.admit_callback(url, who.user_id, [start, doc, deliver](Result<uint64_t> ticket) {
    if (!ticket) {
      FieldErrors errors;
      errors.Add("callback_url", ticket.error().message);
      return deliver(Json(StatusForKind(ticket.error().kind) == 400 || StatusForKind(ticket.error().kind) == 403 ? 422
                                                                                                               : StatusForKind(ticket.error().kind),
                          JsonText(errors.errors)));
    }
    start(doc, *ticket);
  });
}

}  // namespace

void RegisterJudge0(Router& router, const std::shared_ptr<ApiState>& state) {
  auto s = state;
  router.Add("GET", "/judge0/languages", [s](Request&) {
    json::array list;
    for (const auto& l : Languages(*s)) {
      if (!l.archived) list.push_back(LanguageJson(l, false));
    }
    return Ok(list);
  });
  router.Add("GET", "/judge0/languages/all", [s](Request&) {
    auto langs = Languages(*s);
    std::sort(langs.begin(), langs.end(), [](const Language& a, const Language& b) { return a.name < b.name; });
    json::array list;
    for (const auto& l : langs) list.push_back(json::object{{"id", l.id}, {"name", l.name}, {"is_archived", l.archived}});
    return Ok(list);
  });
  router.Add("GET", "/judge0/languages/{id}", [s](Request& req) {
    char* end = nullptr;
    const std::string text = req.params["id"];
    const long long id = std::strtoll(text.c_str(), &end, 10);
    std::optional<Language> l;
    if (*end == '\0') l = FindLanguage(*s, id);
    if (!l) return JudgeError(404, "Couldn't find Language with 'id'=" + SanitizeUtf8(text));
    return Ok(LanguageJson(*l, true));
  });
  router.Add("GET", "/judge0/statuses", [](Request&) {
    json::array list;
    for (int id = 1; id <= 14; ++id) list.push_back(json::object{{"id", id}, {"description", Judge0StatusName(id)}});
    return Ok(list);
  });
  router.Add("GET", "/judge0/about", [](Request&) {
    return Ok(json::object{{"version", "1.13.1"},
                           {"homepage", nullptr},
                           {"source_code", nullptr},
                           {"maintainer", "Runlet (a Judge0 CE compatible API)"}});
  });
  router.Add("GET", "/judge0/version", [](Request&) {
    Response r;
    r.content_type = "text/plain";
    r.body = "1.13.1";
    return r;
  });
  router.Add("GET", "/judge0/config_info", [s](Request& req) {
    const Limits max = s->MaxLimitsFor(req.principal->user_id, req.principal->role);
    const bool callbacks = s->deps.admit_callback && s->deps.put_callback;
    return Ok(json::object{
        {"maintenance_mode", false},
        {"enable_wait_result", true},
        {"enable_compiler_options", false},
        {"allowed_languages_for_compile_options", json::array()},
        {"enable_command_line_arguments", true},
        {"enable_submission_delete", false},
        {"enable_callbacks", callbacks},
        {"callbacks_max_tries", 3},
        {"callbacks_timeout", 10.0},
        {"enable_additional_files", true},
        {"max_queue_size", 64},
        {"cpu_time_limit", kCpuTimeLimit},
        {"max_cpu_time_limit", std::min(kMaxCpuTimeLimit, static_cast<double>(max.cpu_time.count()) / 1000.0)},
        {"cpu_extra_time", kCpuExtraTime},
        {"max_cpu_extra_time", kMaxCpuExtraTime},
        {"wall_time_limit", kWallTimeLimit},
        {"max_wall_time_limit", std::min(kMaxWallTimeLimit, static_cast<double>(max.wall_time.count()) / 1000.0)},
        {"memory_limit", kMemoryLimitKb},
        {"max_memory_limit", std::min<int64_t>(kMaxMemoryLimitKb, static_cast<int64_t>(max.memory_bytes / 1024))},
        {"stack_limit", kStackLimitKb},
        {"max_stack_limit", kMaxStackLimitKb},
        {"max_processes_and_or_threads", kMaxProcesses},
        {"max_max_processes_and_or_threads", std::min<int64_t>(kMaxMaxProcesses, max.pids)},
        {"enable_per_process_and_thread_time_limit", false},
        {"allow_enable_per_process_and_thread_time_limit", false},
        {"enable_per_process_and_thread_memory_limit", false},
        {"allow_enable_per_process_and_thread_memory_limit", false},
        {"max_file_size", kMaxFileSizeKb},
        {"max_max_file_size", kMaxMaxFileSizeKb},
        {"number_of_runs", 1},
        {"max_number_of_runs", kMaxNumberOfRuns},
        {"redirect_stderr_to_stdout", false},
        {"max_extract_size", kMaxExtractSizeKb},
        {"enable_batched_submissions", true},
        {"max_submission_batch_size", static_cast<int64_t>(kMaxBatch)},
        {"submission_cache_duration", 0.0},
        {"use_docs_as_homepage", false},
        {"allow_enable_network", false},
        {"enable_network", false},
    });
  });

  // Submissions. JSON whatever the Content-Type (only a token opens these endpoints).
  router.Add("POST", "/judge0/submissions/batch", [s](Request& req) {
    const bool base64 = req.Query("base64_encoded") == "true";
    auto parsed = ParseJson(req.body);
    if (!parsed) return JudgeError(StatusForKind(parsed.error().kind), "the body must be JSON: " + parsed.error().message);
    const json::value* list = parsed->is_object() ? parsed->as_object().if_contains("submissions") : nullptr;
    const size_t n = list && list->is_array() ? list->as_array().size() : 0;
    if (n > kMaxBatch)
      return JudgeError(400, "number of submissions in a batch should be less than or equal to " + std::to_string(kMaxBatch));
    if (n == 0) return JudgeError(400, "there should be at least one submission in a batch");
    std::vector<std::variant<json::object, FieldErrors, Response>> checked;
    for (const auto& item : list->as_array()) checked.push_back(Judge0(s, *req.principal).Validate(item, base64));
    Response r;
    r.deferred = [s, who = *req.principal, checked = std::move(checked)](std::function<void(Response)> deliver) {
      struct Gather {
        std::mutex mu;
        json::array out;
        size_t left = 0;
        bool any = false;
        std::function<void(Response)> deliver;
      };
      auto g = std::make_shared<Gather>();
      g->deliver = deliver;
      g->left = checked.size();
      for (size_t i = 0; i < checked.size(); ++i) g->out.emplace_back(nullptr);
      auto finish_one = [g](size_t i, json::value v, bool ok) {
        std::lock_guard lock(g->mu);
        g->out[i] = std::move(v);
        g->any = g->any || ok;
        if (--g->left == 0) g->deliver(Ok(g->out, g->any ? 201 : 422));
      };
      for (size_t i = 0; i < checked.size(); ++i) {
        if (auto* errors = std::get_if<FieldErrors>(&checked[i])) {
          finish_one(i, errors->errors, false);
          continue;
        }
        Create(s, who, std::get<json::object>(checked[i]), false, false, {"token"}, [finish_one, i](Response resp) {
          auto body = ParseJson(resp.body);
          finish_one(i, body ? *body : json::value(nullptr), resp.status == 201);
        });
      }
    };
    return r;
  }, kServerMaximum);
  router.Add("GET", "/judge0/submissions/batch", [s](Request& req) {
    auto fields = RequestedFields(req);
    if (!fields) return JudgeError(400, fields.error().message);
    const bool base64 = req.Query("base64_encoded") == "true";
    std::vector<std::string> tokens;
    std::string text = req.Query("tokens");
    if (text.empty()) text = req.Header("tokens");
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find(',', start);
      if (end == std::string::npos) end = text.size();
      std::string t = text.substr(start, end - start);
      t.erase(0, t.find_first_not_of(' '));
      if (auto last = t.find_last_not_of(' '); last != std::string::npos) t.erase(last + 1);
      if (!t.empty()) tokens.push_back(t);
      start = end + 1;
    }
    if (tokens.size() > kMaxBatch)
      return JudgeError(400, "number of submissions in a batch should be less than or equal to " + std::to_string(kMaxBatch));
    if (tokens.empty()) return JudgeError(400, "there should be at least one submission in a batch");
    json::array out;
    for (const auto& t : tokens) {
      auto doc = LoadSubmission(*s, req.principal->user_id, t);
      if (!doc) {
        out.emplace_back(nullptr);
        continue;
      }
      auto body = Render(*s, *doc, *fields, base64);
      if (!body)
        return JudgeError(400, "some attributes for one or more submissions cannot be converted to UTF-8, use base64_encoded=true query parameter");
      out.push_back(std::move(*body));
    }
    return Ok(json::object{{"submissions", out}});
  });
  router.Add("POST", "/judge0/submissions", [s](Request& req) {
    auto fields = RequestedFields(req);
    if (!fields) return JudgeError(400, fields.error().message);
    const bool base64 = req.Query("base64_encoded") == "true";
    const bool wait = req.Query("wait") == "true";
    auto parsed = ParseJson(req.body);
    if (!parsed) return JudgeError(StatusForKind(parsed.error().kind), "the body must be JSON: " + parsed.error().message);
    auto checked = Judge0(s, *req.principal).Validate(*parsed, base64);
    if (auto* errors = std::get_if<FieldErrors>(&checked)) return Json(422, JsonText(errors->errors));
    Response r;
    r.deferred = [s, who = *req.principal, doc = std::get<json::object>(std::move(checked)), wait, base64,
                  fields = *fields](std::function<void(Response)> deliver) {
      Create(s, who, doc, wait, base64, fields, deliver);
    };
    return r;
  }, kServerMaximum);
  router.Add("GET", "/judge0/submissions", [s](Request& req) {
    if (req.principal->kind == "anonymous")
      return JudgeError(401, "listing submissions needs a token (anonymous submissions are read by their token)");
    auto fields = RequestedFields(req);
    if (!fields) return JudgeError(400, fields.error().message);
    const bool base64 = req.Query("base64_encoded") == "true";
    const long long page = std::atoll(req.Query("page", "1").c_str());
    const long long per_page = std::atoll(req.Query("per_page", std::to_string(kPerPage)).c_str());
    if (page <= 0) return JudgeError(400, "invalid page: " + std::to_string(page));
    if (per_page < 0) return JudgeError(400, "invalid per_page: " + std::to_string(per_page));
    if (per_page > 100) return JudgeError(400, "invalid per_page: " + std::to_string(per_page) + " (at most 100)");
    auto docs = UserSubmissions(*s, req.principal->user_id);
    if (!docs) return JudgeError(500, "internal error");
    std::sort(docs->begin(), docs->end(), [](const json::object& a, const json::object& b) {
      return a.at("created_at").as_string() > b.at("created_at").as_string();
    });
    const long long total = static_cast<long long>(docs->size());
    const long long pages = per_page == 0 ? 0 : (total + per_page - 1) / per_page;
    json::array list;
    for (long long i = (page - 1) * per_page; i < std::min(total, page * per_page); ++i) {
      auto body = Render(*s, (*docs)[static_cast<size_t>(i)], *fields, base64);
      if (!body)
        return JudgeError(400, "some attributes for one or more submissions cannot be converted to UTF-8, use base64_encoded=true query parameter");
      list.push_back(std::move(*body));
    }
    return Ok(json::object{{"submissions", list},
                           {"meta", json::object{{"current_page", page},
                                                 {"next_page", page < pages ? json::value(page + 1) : json::value(nullptr)},
                                                 {"prev_page", page > 1 ? json::value(page - 1) : json::value(nullptr)},
                                                 {"total_pages", pages},
                                                 {"total_count", total}}}});
  });
  router.Add("GET", "/judge0/submissions/{token}", [s](Request& req) {
    auto fields = RequestedFields(req);
    if (!fields) return JudgeError(400, fields.error().message);
    auto doc = LoadSubmission(*s, req.principal->user_id, req.params["token"]);
    if (!doc) return JudgeError(404, "Couldn't find Submission with token " + SanitizeUtf8(req.params["token"]));
    return RenderResponse(*s, *doc, *fields, req.Query("base64_encoded") == "true", 200);
  });
  router.Add("DELETE", "/judge0/submissions/{token}", [](Request&) { return JudgeError(400, "delete not allowed"); });
}

}  // namespace runlet::api::compat
