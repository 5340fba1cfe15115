#include "cli/context.h"

#include <sys/stat.h>

#include <boost/json.hpp>
#include <fstream>
#include <regex>
#include <sstream>

namespace runlet::cli {
namespace json = boost::json;

void AddPathFlags(CLI::App& cmd, Paths& paths) {
  cmd.add_option("--data", paths.data_dir, "data directory (default $RUNLET_DATA or /var/lib/runlet)");
  cmd.add_option("--runtimes", paths.runtimes_dir, "directory of runtime definitions");
}

Paths ResolvePaths(Paths paths) {
  if (paths.data_dir.empty()) {
    const char* env = std::getenv("RUNLET_DATA");
    paths.data_dir = env && *env ? env : "/var/lib/runlet";
  }
  if (paths.runtimes_dir.empty()) paths.runtimes_dir = runtime::DefaultRuntimesDir();
  return paths;
}

Result<NativeStack> MakeNativeStack(const Paths& paths, int pool_size) {
  NativeStack stack;
  sandbox::SandboxOptions options;
  options.pool_size = pool_size;
  auto box = sandbox::Sandbox::Create(options);
  if (!box) return tl::unexpected(box.error());
  stack.sandbox = std::move(*box);
  stack.images = std::make_unique<image::ImageStore>(paths.data_dir);
  stack.platform = std::make_unique<platform::NativePlatform>(*stack.sandbox, *stack.images);
  return stack;
}

std::string DetectVersion(NativeStack& stack, const Paths& paths, const runtime::Runtime& rt) {
  if (rt.version_command.empty()) return rt.version;
  auto image = stack.images->Resolve(rt.image);
  if (!image) return "";
  std::string key = image->digest + "|" + image->rootfs;
  for (const auto& arg : rt.version_command) key += "|" + arg;

  const std::string cache_dir = paths.data_dir + "/cache";
  const std::string cache_file = cache_dir + "/runtime-versions.json";
  json::object cache;
  {
    std::ifstream in(cache_file);
    std::stringstream text;
    text << in.rdbuf();
    boost::system::error_code ec;
    auto doc = json::parse(text.str(), ec);
    if (!ec && doc.is_object()) cache = doc.as_object();
  }
  if (auto* hit = cache.if_contains(rt.id); hit && hit->is_object()) {
    const auto& o = hit->as_object();
    if (o.contains("key") && o.at("key") == json::value(key) && o.contains("version"))
      return std::string(o.at("version").as_string());
  }
  sandbox::RunSpec spec;
  spec.rootfs = image->rootfs;
  spec.argv = rt.version_command;
  spec.limits.cpu_time = std::chrono::seconds(5);
  spec.limits.wall_time = std::chrono::seconds(10);
  spec.limits.memory_bytes = 1ull << 30;
  spec.limits.pids = 128;
  for (const auto& [k, v] : rt.env) {
    if (v.find('{') == std::string::npos) spec.env.push_back(k + "=" + v);
  }
  auto result = stack.sandbox->Run(spec);
  if (!result || result->status != RunStatus::kOk) return "";
  std::smatch match;
  const std::string text = result->stdout_data + "\n" + result->stderr_data;
  static const std::regex version(R"((\d+\.\d+(\.\d+)?))");
  if (!std::regex_search(text, match, version)) return "";
  const std::string found = match[1];
  cache[rt.id] = json::object{{"key", key}, {"version", found}};
  ::mkdir(paths.data_dir.c_str(), 0755);
  ::mkdir(cache_dir.c_str(), 0755);
  const std::string tmp = cache_file + ".tmp";
  {
    std::ofstream out(tmp);
    out << json::serialize(cache);
  }
  std::rename(tmp.c_str(), cache_file.c_str());
  return found;
}

}  // namespace runlet::cli
