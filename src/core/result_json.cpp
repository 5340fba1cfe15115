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
  o["message"] = r.message;
  if (r.reason) o["reason"] = *r.reason;
  if (!r.cgroup_version.empty()) o["cgroup"] = r.cgroup_version;
  o["build"] = build ? boost::json::value(ResultToJson(*build)) : nullptr;
  return o;
}

}  // namespace runlet
