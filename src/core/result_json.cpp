#include "core/result_json.h"

#include "core/utf8.h"

namespace runlet {

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
  return r;
}

}  // namespace runlet
