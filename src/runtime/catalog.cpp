#include "runtime/catalog.h"

#include <dirent.h>
#include <limits.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cctype>
#include <charconv>
#include <optional>
#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "core/environment.h"
#include "core/files.h"
#include "core/units.h"

namespace runlet::runtime {
namespace json = boost::json;
namespace {

Result<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail("cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string Str(const json::object& o, const char* key, std::string fallback = {}) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : fallback;
}

Result<std::vector<std::string>> StrList(const json::object& o, const char* key) {
  std::vector<std::string> out;
  auto* v = o.if_contains(key);
  if (!v || v->is_null()) return out;
  if (!v->is_array()) return Fail(std::string(key) + " must be a list of strings");
  for (const auto& item : v->as_array()) {
    if (!item.is_string()) return Fail(std::string(key) + " must be a list of strings");
    out.emplace_back(item.as_string());
  }
  return out;
}

Result<CommandTemplate> Command(const json::object& o, const char* key) {
  CommandTemplate cmd;
  auto* v = o.if_contains(key);
  if (!v || v->is_null()) return cmd;
  if (v->is_string()) {
    cmd.shell = std::string(v->as_string());
    return cmd;
  }
  auto list = StrList(o, key);
  if (!list) return tl::unexpected(list.error());
  cmd.argv = std::move(*list);
  return cmd;
}

// The whole of `text` as a number, or nullopt.
template <class T>
std::optional<T> ParseNumber(const std::string& text) {
  T value{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return value;
}

Result<Limits> ParseLimitsImpl(const json::value* v, Limits limits) {
  if (!v || v->is_null()) return limits;
  if (!v->is_object()) return Fail("limits must be an object");
  for (const auto& [key, value] : v->as_object()) {
    std::string text;
    if (value.is_string()) {
      text = std::string(value.as_string());
    } else if (value.is_number()) {
      text = json::serialize(value);
    } else {
      return Fail("limit " + std::string(key) + " must be a string or number");
    }
    const std::string context = "limit " + std::string(key);  // (clang 14 cannot capture a structured binding)
    auto bad = [&context](const Error& e) { return tl::unexpected(e.Wrap(context)); };
    if (key == "time" || key == "wall") {
      auto d = ParseDuration(text);
      if (!d) return bad(d.error());
      (key == "time" ? limits.cpu_time : limits.wall_time) = *d;
    } else if (key == "memory" || key == "output" || key == "disk") {
      auto n = ParseSize(text);
      if (!n) return bad(n.error());
      (key == "memory" ? limits.memory_bytes : key == "output" ? limits.output_bytes : limits.disk_bytes) = *n;
    } else if (key == "pids" || key == "open_files") {
      auto n = ParseNumber<uint32_t>(text);
      if (!n) return Fail("limit " + std::string(key) + " must be a whole number, not \"" + text + "\"");
      (key == "pids" ? limits.pids : limits.open_files) = *n;
    } else if (key == "cpus") {
      auto n = ParseNumber<double>(text);
      if (!n) return Fail("limit cpus must be a number, not \"" + text + "\"");
      limits.cpus = *n;
    } else {
      return Fail("unknown limit \"" + std::string(key) + "\"");
    }
  }
  if (auto s = ValidateLimits(limits); !s) return tl::unexpected(s.error());
  return limits;
}

Result<std::vector<FaqEntry>> ParseFaq(const json::value* v) {
  std::vector<FaqEntry> faq;
  if (!v || v->is_null()) return faq;
  if (!v->is_array()) return Fail("faq must be a list of {question, answer}");
  for (const auto& item : v->as_array()) {
    if (!item.is_object()) return Fail("faq must be a list of {question, answer}");
    const auto& o = item.as_object();
    FaqEntry e{Str(o, "question"), Str(o, "answer")};
    if (e.question.empty() || e.answer.empty()) return Fail("faq entries need a question and an answer");
    faq.push_back(std::move(e));
  }
  return faq;
}

std::string MachineArch() {
  struct utsname u {};
  ::uname(&u);
  return u.machine;
}

}  // namespace

Result<Limits> ParseLimitsJson(const json::value* value, Limits base) { return ParseLimitsImpl(value, base); }

Result<Runtime> Catalog::ParseRuntime(std::string_view text) {
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec) return Fail("invalid JSON: " + ec.message());
  if (!doc.is_object()) return Fail("a runtime must be a JSON object");
  const auto& o = doc.as_object();
  Runtime r;
  r.id = Str(o, "id");
  if (r.id.empty() || r.id.size() > 64 ||
      !std::all_of(r.id.begin(), r.id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
      })) {
    return Fail("runtime id \"" + r.id + "\" must be 1-64 characters of a-z, 0-9, '-', '.', '_'");
  }
  auto wrap = [&](const Error& e) { return tl::unexpected(e.Wrap("runtime " + r.id)); };
  r.language = Str(o, "language");
  r.version = Str(o, "version");
  r.name = Str(o, "name", r.id);
  r.os = Str(o, "os");
  r.arch = Str(o, "arch", MachineArch());
  r.description = Str(o, "description");
  r.image = Str(o, "image", "host");
  r.platform = Str(o, "platform");
  if (const auto* pl = o.if_contains("platform"); pl && !pl->is_null() &&
      (!pl->is_string() || r.platform.size() > 32 ||
       !std::all_of(r.platform.begin(), r.platform.end(),
                    [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }))) {
    return wrap(Error{"platform must be a platform name (\"docker\", \"gvisor\", ...; a-z, 0-9, '-')"});
  }
  r.main_file = Str(o, "main_file");
  if (r.language.empty() || r.main_file.empty()) return wrap(Error{"language and main_file are required"});
  if (auto why = CheckRelativePath(r.main_file); !why.empty()) return wrap(Error{"main_file: " + why});
  auto ext = StrList(o, "extensions");
  if (!ext) return wrap(ext.error());
  r.extensions = *ext;
  auto vc = StrList(o, "version_command");
  if (!vc) return wrap(vc.error());
  r.version_command = *vc;
  auto build = Command(o, "build");
  if (!build) return wrap(build.error());
  r.build = *build;
  auto run = Command(o, "run");
  if (!run) return wrap(run.error());
  r.run = *run;
  if (r.run.empty()) return wrap(Error{"run is required"});
  if (auto* env = o.if_contains("env"); env && !env->is_null()) {
    if (!env->is_object()) return wrap(Error{"env must be an object of strings"});
    for (const auto& [k, v] : env->as_object()) {
      if (!v.is_string()) return wrap(Error{"env values must be strings"});
      if (auto why = CheckEnvVariable(k, v.as_string()); !why.empty()) return wrap(Error{"env: " + why});
      r.env[std::string(k)] = std::string(v.as_string());
    }
  }
  Limits build_defaults;
  build_defaults.cpu_time = std::chrono::seconds(10);
  build_defaults.wall_time = std::chrono::seconds(20);
  build_defaults.memory_bytes = 1ull << 30;
  build_defaults.pids = 128;
  build_defaults.output_bytes = 1ull << 20;
  build_defaults.disk_bytes = 256ull << 20;
  build_defaults.cpus = 2;
  const json::value* limits = o.if_contains("limits");
  const json::object* lo = limits && limits->is_object() ? &limits->as_object() : nullptr;
  auto bl = ParseLimitsImpl(lo ? lo->if_contains("build") : nullptr, build_defaults);
  if (!bl) return wrap(bl.error());
  r.build_limits = *bl;
  Limits run_defaults;
  run_defaults.disk_bytes = r.build_limits.disk_bytes;  // one file system for both steps
  auto rl = ParseLimitsImpl(lo ? lo->if_contains("run") : nullptr, run_defaults);
  if (!rl) return wrap(rl.error());
  r.run_limits = *rl;
  auto aliases = StrList(o, "aliases");
  if (!aliases) return wrap(aliases.error());
  r.aliases = *aliases;
  auto me = StrList(o, "memory_errors");
  if (!me) return wrap(me.error());
  r.memory_errors = *me;
  if (auto* recipe = o.if_contains("image_recipe"); recipe && recipe->is_object()) {
    r.image_suite = Str(recipe->as_object(), "suite");
    auto pk = StrList(recipe->as_object(), "packages");
    if (!pk) return wrap(pk.error());
    r.image_packages = *pk;
  }
  auto faq = ParseFaq(o.if_contains("faq"));
  if (!faq) return wrap(faq.error());
  r.faq = *faq;
  if (auto* en = o.if_contains("enabled"); en && en->is_bool()) r.enabled = en->as_bool();
  r.definition = json::serialize(doc);
  return r;
}

Result<Catalog> Catalog::LoadDir(const std::string& dir) {
  Catalog catalog;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return FailErrno("open runtimes directory " + dir);
  std::vector<std::string> names;
  while (auto* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() > 5 && name.substr(name.size() - 5) == ".json") names.push_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    auto text = ReadText(dir + "/" + name);
    if (!text) return tl::unexpected(text.error());
    if (name == "faq.json") {
      boost::system::error_code ec;
      json::value doc = json::parse(*text, ec);
      if (ec) return Fail(dir + "/faq.json: invalid JSON: " + ec.message());
      auto faq = ParseFaq(&doc);
      if (!faq) return tl::unexpected(faq.error().Wrap(dir + "/faq.json"));
      catalog.faq_ = std::move(*faq);
      continue;
    }
    auto runtime = ParseRuntime(*text);
    if (!runtime) return tl::unexpected(runtime.error().Wrap(dir + "/" + name));
    catalog.Add(std::move(*runtime));
  }
  return catalog;
}

const Runtime* Catalog::Find(std::string_view id) const {
  for (const auto& r : runtimes_) {
    if (r.id == id) return &r;
  }
  for (const auto& r : runtimes_) {
    for (const auto& alias : r.aliases) {
      if (alias == id) return &r;
    }
  }
  return nullptr;
}

const Runtime* Catalog::ForFile(std::string_view file_name) const {
  const Runtime* best = nullptr;
  for (const auto& r : runtimes_) {
    if (!r.enabled) continue;
    const bool matches = std::any_of(r.extensions.begin(), r.extensions.end(), [&](const std::string& ext) {
      return file_name.size() > ext.size() && file_name.substr(file_name.size() - ext.size()) == ext;
    });
    if (matches && (!best || CompareVersions(r.version, best->version) > 0)) best = &r;
  }
  return best;
}

int CompareVersions(std::string_view a, std::string_view b) {
  // Walks both strings a number (or a run of other characters) at a time.
  auto next = [](std::string_view& s) -> std::pair<bool, std::string_view> {
    while (!s.empty() && s.front() == '.') s.remove_prefix(1);
    const bool digits = !s.empty() && std::isdigit(static_cast<unsigned char>(s.front()));
    size_t n = 0;
    while (n < s.size() && s[n] != '.' && (std::isdigit(static_cast<unsigned char>(s[n])) != 0) == digits) ++n;
    auto part = s.substr(0, n);
    s.remove_prefix(n);
    return {digits, part};
  };
  while (!a.empty() || !b.empty()) {
    auto [a_num, pa] = next(a);
    auto [b_num, pb] = next(b);
    if (pa.empty() || pb.empty()) {
      // One ran out: "1.19" > "1.19rc1" (a suffix marks a pre-release), "1.19.1" > "1.19".
      if (pa.empty() && pb.empty()) return 0;
      if (pa.empty()) return b_num ? -1 : 1;
      return a_num ? 1 : -1;
    }
    if (a_num != b_num) return a_num ? 1 : -1;
    if (a_num) {
      while (pa.size() > 1 && pa.front() == '0') pa.remove_prefix(1);
      while (pb.size() > 1 && pb.front() == '0') pb.remove_prefix(1);
      if (pa.size() != pb.size()) return pa.size() < pb.size() ? -1 : 1;
    }
    if (int c = pa.compare(pb); c != 0) return c < 0 ? -1 : 1;
  }
  return 0;
}

void Catalog::Add(Runtime runtime) {
  for (auto& r : runtimes_) {
    if (r.id == runtime.id) {
      r = std::move(runtime);
      return;
    }
  }
  runtimes_.push_back(std::move(runtime));
}

std::string DefaultRuntimesDir() {
  if (const char* env = std::getenv("RUNLET_RUNTIMES")) return env;
  char exe[PATH_MAX] = {};
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    std::string dir(exe, static_cast<size_t>(n));
    for (int up = 0; up < 6; ++up) {
      auto slash = dir.rfind('/');
      if (slash == std::string::npos || slash == 0) break;
      dir.resize(slash);
      const std::string candidate = dir + "/runtimes";
      if (::access((candidate + "/faq.json").c_str(), R_OK) == 0) return candidate;
    }
  }
  return "/usr/share/runlet/runtimes";
}

}  // namespace runlet::runtime
