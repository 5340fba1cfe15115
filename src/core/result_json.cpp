#include "core/result_json.h"

#include <cstdlib>

#include "core/utf8.h"

namespace runlet {

boost::json::object LimitsJson(const Limits& l) {
  return {{"time", std::to_string(l.cpu_time.count()) + "ms"},
          {"wall", std::to_string(l.wall_time.count()) + "ms"},
          {"memory", l.memory_bytes},
          {"pids", l.pids},
          {"output", l.output_bytes},
          {"disk", l.disk_bytes},
          {"cpus", l.cpus},
          {"open_files", l.open_files}};
}

boost::json::object ResultToJson(const RunResult& r, const RunResult* build) {
  boost::json::object o;
  o["status"] = StatusName(r.status);
  o["exit_code"] = r.exit_code ? boost::json::value(*r.exit_code) : nullptr;
  o["signal"] = r.signal ? boost::json::value(*r.signal) : nullptr;
  o["cpu_time_ms"] = r.cpu_time_ms;
  o["wall_time_ms"] = r.wall_time_ms;
  o["memory_peak_bytes"] = r.memory_peak_bytes;
  o["stdout"] = SanitizeUtf8(r.stdout_data);
  o["stderr"] = SanitizeUtf8(r.stderr_data);
  o["stdout_truncated"] = r.stdout_truncated;
  o["stderr_truncated"] = r.stderr_truncated;
  // Only when set: the CLI never clips; the server does beyond its result bound.
  if (r.stdout_clipped) o["stdout_clipped"] = true;
  if (r.stderr_clipped) o["stderr_clipped"] = true;
  o["message"] = r.message;
  if (r.reason) o["reason"] = *r.reason;
  if (!r.cgroup_version.empty()) o["cgroup"] = r.cgroup_version;
  if (r.limits) o["limits"] = LimitsJson(*r.limits);
  o["build"] = build ? boost::json::value(ResultToJson(*build)) : nullptr;
  return o;
}

RunResult ResultFromJson(const boost::json::object& o) {
  RunResult r;
  auto str = [&](const char* key) -> std::string {
    auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  auto num = [&](const char* key) -> std::optional<int64_t> {
    auto* v = o.if_contains(key);
    if (!v) return std::nullopt;
    if (v->is_int64()) return v->as_int64();
    if (v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
    return std::nullopt;
  };
  r.status = ParseStatus(str("status")).value_or(RunStatus::kInternalError);
  if (auto v = num("exit_code")) r.exit_code = static_cast<int>(*v);
  if (auto v = num("signal")) r.signal = static_cast<int>(*v);
  r.cpu_time_ms = num("cpu_time_ms").value_or(0);
  r.wall_time_ms = num("wall_time_ms").value_or(0);
  r.memory_peak_bytes = static_cast<uint64_t>(num("memory_peak_bytes").value_or(0));
  r.stdout_data = str("stdout");
  r.stderr_data = str("stderr");
  if (auto* v = o.if_contains("stdout_truncated"); v && v->is_bool()) r.stdout_truncated = v->as_bool();
  if (auto* v = o.if_contains("stderr_truncated"); v && v->is_bool()) r.stderr_truncated = v->as_bool();
  if (auto* v = o.if_contains("stdout_clipped"); v && v->is_bool()) r.stdout_clipped = v->as_bool();
  if (auto* v = o.if_contains("stderr_clipped"); v && v->is_bool()) r.stderr_clipped = v->as_bool();
  r.message = str("message");
  if (o.contains("reason")) r.reason = str("reason");
  r.cgroup_version = str("cgroup");
  if (auto* v = o.if_contains("limits"); v && v->is_object()) {
    const auto& l = v->as_object();
    auto field = [&](const char* key) -> double {
      auto* f = l.if_contains(key);
      if (!f) return 0;
      if (f->is_string()) return std::atof(std::string(f->as_string()).c_str());  // "2000ms"
      return f->is_number() ? f->to_number<double>() : 0;
    };
    Limits limits;
    limits.cpu_time = std::chrono::milliseconds(static_cast<int64_t>(field("time")));
    limits.wall_time = std::chrono::milliseconds(static_cast<int64_t>(field("wall")));
    limits.memory_bytes = static_cast<uint64_t>(field("memory"));
    limits.pids = static_cast<uint32_t>(field("pids"));
    limits.output_bytes = static_cast<uint64_t>(field("output"));
    limits.disk_bytes = static_cast<uint64_t>(field("disk"));
    limits.cpus = field("cpus");
    limits.open_files = static_cast<uint32_t>(field("open_files"));
    r.limits = limits;
  }
  return r;
}

}  // namespace runlet
