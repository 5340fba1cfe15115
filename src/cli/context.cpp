#include "cli/context.h"

#include <sys/stat.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "platform/docker/docker_platform.h"

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

Result<NativeStack> MakePlatformStack(const Paths& paths, const std::string& platform, int pool_size) {
  if (platform == "native") return MakeNativeStack(paths, pool_size);
  if (platform != "docker" && platform != "podman") {
    return Fail(ErrorKind::kInvalid, "unknown platform \"" + platform + "\" (have: native, docker, podman)");
  }
  NativeStack stack;
  if (auto box = sandbox::Sandbox::Create(sandbox::SandboxOptions{}); box) stack.sandbox = std::move(*box);
  stack.images = std::make_unique<image::ImageStore>(paths.data_dir);
  platform::docker::DockerOptions options =
      platform == "podman" ? platform::docker::PodmanOptions() : platform::docker::DockerOptions{};
  const char* socket = std::getenv(platform == "docker" ? "RUNLET_DOCKER_SOCKET" : "RUNLET_PODMAN_SOCKET");
  if (socket && *socket) options.socket = socket;
  auto engine = platform::docker::DockerPlatform::Create(options, *stack.images);
  if (!engine) return tl::unexpected(engine.error());
  stack.platform = std::move(*engine);
  return stack;
}

namespace {

// The first "N.N" or "N.N.N" in `text` ("Python 3.11.2" -> "3.11.2"), or "".
std::string FirstVersion(const std::string& text) {
  auto digits = [&](size_t i) {
    size_t j = i;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
    return j - i;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    if (i > 0 && text[i - 1] >= '0' && text[i - 1] <= '9') continue;
    size_t a = digits(i);
    if (a == 0 || i + a >= text.size() || text[i + a] != '.') continue;
    size_t b = digits(i + a + 1);
    if (b == 0) continue;
    size_t end = i + a + 1 + b;
    if (end < text.size() && text[end] == '.') {
      if (size_t c = digits(end + 1); c > 0) end += 1 + c;
    }
    return text.substr(i, end - i);
  }
  return "";
}

}  // namespace

std::string DetectVersion(NativeStack& stack, const Paths& paths, const runtime::Runtime& rt) {
  if (rt.version_command.empty() || !stack.sandbox) return rt.version;
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
  const std::string found = FirstVersion(result->stdout_data + "\n" + result->stderr_data);
  if (found.empty()) return "";
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
