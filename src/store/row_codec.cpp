#include "store/row_codec.h"

#include <sodium.h>

#include <boost/json.hpp>

#include "core/hex.h"
#include "core/result_json.h"

namespace runlet::store {
namespace json = boost::json;

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return HexEncode(digest, sizeof digest);
}

std::string EnvToJson(const std::map<std::string, std::string>& env) {
  json::object o;
  for (const auto& [k, v] : env) o[k] = v;
  return json::serialize(o);
}

std::map<std::string, std::string> EnvFromJson(const std::string& text) {
  std::map<std::string, std::string> env;
  boost::system::error_code ec;
  auto doc = json::parse(text, ec);
  if (!ec && doc.is_object()) {
    for (const auto& [k, v] : doc.as_object()) {
      if (v.is_string()) env[std::string(k)] = std::string(v.as_string());
    }
  }
  return env;
}

std::string QuotaToJson(const Quota& q) {
  return json::serialize(json::object{{"concurrent_runs", q.concurrent_runs},
                                      {"cpus", q.cpus},
                                      {"memory_bytes", q.memory_bytes},
                                      {"disk_bytes", q.disk_bytes},
                                      {"time_ms", q.time_ms},
                                      {"projects", q.projects},
                                      {"stored_bytes", q.stored_bytes}});
}

Quota QuotaFromJson(const std::string& text) {
  Quota q;
  boost::system::error_code ec;
  auto doc = json::parse(text, ec);
  if (ec || !doc.is_object()) return q;
  const auto& o = doc.as_object();
  auto num = [&](const char* key) -> double {
    const auto* v = o.if_contains(key);
    return v && v->is_number() ? v->to_number<double>() : 0.0;
  };
  q.concurrent_runs = static_cast<int>(num("concurrent_runs"));
  q.cpus = num("cpus");
  q.memory_bytes = static_cast<uint64_t>(num("memory_bytes"));
  q.disk_bytes = static_cast<uint64_t>(num("disk_bytes"));
  q.time_ms = static_cast<int64_t>(num("time_ms"));
  q.projects = static_cast<int>(num("projects"));
  q.stored_bytes = static_cast<uint64_t>(num("stored_bytes"));
  return q;
}

std::string ListToJson(const std::vector<std::string>& list) {
  json::array a;
  for (const auto& s : list) a.push_back(json::string(s));
  return json::serialize(a);
}

std::vector<std::string> ListFromJson(const std::string& text) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  auto doc = json::parse(text, ec);
  if (ec || !doc.is_array()) return out;
  for (const auto& v : doc.as_array()) {
    if (v.is_string()) out.emplace_back(v.as_string());
  }
  return out;
}

std::string ManifestToJson(const std::vector<FileEntry>& files) {
  json::array list;
  for (const auto& f : files) list.push_back(json::object{{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}});
  return json::serialize(list);
}

std::vector<FileEntry> ParseManifest(const std::string& text) {
  std::vector<FileEntry> files;
  boost::system::error_code ec;
  auto doc = json::parse(text, ec);
  if (ec || !doc.is_array()) return files;
  for (const auto& item : doc.as_array()) {
    const auto& o = item.as_object();
    files.push_back({std::string(o.at("path").as_string()), static_cast<uint64_t>(o.at("size").to_number<int64_t>()),
                     std::string(o.at("sha256").as_string())});
  }
  return files;
}

RunColumns RunToColumns(const RunRecord& r) {
  json::object result = ResultToJson(r.result);
  result.erase("build");
  if (r.log_truncated) result["log_truncated"] = true;
  RunColumns c{std::string(StatusName(r.result.status)), json::serialize(result), std::nullopt};
  if (r.build) c.build = json::serialize(ResultToJson(*r.build));
  return c;
}

void RunFromColumns(RunRecord& r, const std::string& status, const std::string& result,
                    const std::optional<std::string>& build) {
  boost::system::error_code ec;
  auto doc = json::parse(result, ec);
  if (!ec && doc.is_object()) {
    r.result = ResultFromJson(doc.as_object());
    const auto* cut = doc.as_object().if_contains("log_truncated");
    r.log_truncated = cut && cut->is_bool() && cut->as_bool();
  }
  r.result.status = ParseStatus(status).value_or(RunStatus::kInternalError);
  if (build) {
    auto b = json::parse(*build, ec);
    if (!ec && b.is_object()) r.build = ResultFromJson(b.as_object());
  }
}

const char* GalleryOrder(const std::string& sort) {
  if (sort == "newest") return "created_at DESC, id";
  if (sort == "runs") return "run_count DESC, updated_at DESC, id";
  if (sort == "name") return "lower(name), name, id";
  return "updated_at DESC, id";
}

}  // namespace runlet::store
