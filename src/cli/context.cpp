#include "workspaces/workspace_manager.h"
#include "cli/context.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>

#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "platform/docker/docker_platform.h"
#include "platform/kubernetes/kubernetes_platform.h"
#include "platform/swarm/swarm_platform.h"

namespace runlet::cli {
namespace json = boost::json;

void AddPathFlags(CLI::App& cmd, Paths& paths) {
  cmd.add_option("--data", paths.data_dir, "data directory (default $RUNLET_DATA or /var/lib/runlet)");
  cmd.add_option("--runtimes", paths.runtimes_dir, "directory of runtime definitions");
  cmd.add_option("--host-path", paths.host_paths,
                 "a host path below /etc or /usr/local that runs on the host's toolchains also see (repeatable)");
}

std::string DatabaseOf(const Paths& paths, const std::string& database) {
  if (!database.empty()) return database;
  const char* env = std::getenv("RUNLET_DATABASE");
  return env && *env ? env : paths.data_dir + "/runlet.db";
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
  options.host_paths = paths.host_paths;
  options.zygote = pool_size > 0;  // a server; the one-shot CLI verbs clone directly
  auto box = sandbox::Sandbox::Create(options);
  if (!box) return tl::unexpected(box.error());
  stack.sandbox = std::move(*box);
  stack.images = std::make_unique<image::ImageStore>(paths.data_dir);
  stack.platform = std::make_unique<platform::NativePlatform>(*stack.sandbox, *stack.images);
  return stack;
}

namespace {

constexpr const char* kPlatformNames[] = {"native", "docker", "podman", "gvisor", "swarm", "kubernetes"};

bool KnownPlatform(const std::string& name) {
  for (const char* known : kPlatformNames) {
    if (name == known) return true;
  }
  return false;
}

Error UnknownPlatform(const std::string& name) {
  return Error{"unknown platform \"" + name + "\" (have: native, docker, podman, gvisor, swarm, kubernetes)", 0, ErrorKind::kInvalid};
}

// An engine platform: "docker", "podman", "gvisor" (Docker with runsc) or "swarm" (the
// swarm whose manager is the Docker engine).
Result<std::unique_ptr<platform::Platform>> MakeEnginePlatform(const std::string& name,
                                                              const image::ImageStore& images,
                                                              const std::vector<std::string>& host_paths) {
  if (name == "kubernetes") {
    // Configured from the environment (deploy/kubernetes/runlet.yaml sets it): credentials
    // in-cluster unless $RUNLET_KUBECONFIG names a kubeconfig file.
    platform::kubernetes::KubernetesOptions options;
    auto env = [](const char* key) -> std::string {
      const char* v = std::getenv(key);
      return v ? v : "";
    };
    options.kubeconfig = env("RUNLET_KUBECONFIG");
    options.context = env("RUNLET_KUBE_CONTEXT");
    options.namespace_ = env("RUNLET_KUBE_NAMESPACE");
    options.image_prefix = env("RUNLET_KUBE_IMAGE_PREFIX");
    if (!env("RUNLET_KUBE_IMAGE_TAG").empty()) options.image_tag = env("RUNLET_KUBE_IMAGE_TAG");
    // Each server sweeps only its own leftovers: by default it is named after its host
    // (a Deployment's pods each have their own), so that servers sharing a namespace
    // never delete each other's runs.
    if (!env("RUNLET_KUBE_SERVER").empty()) {
      options.server = env("RUNLET_KUBE_SERVER");
    } else {
      char host[256] = {};
      if (::gethostname(host, sizeof host - 1) == 0) {
        std::string name;
        for (const char* c = host; *c && name.size() < 63; ++c)
          name.push_back(std::isalnum(static_cast<unsigned char>(*c)) || *c == '-' || *c == '.' ? *c : '-');
        while (!name.empty() && !std::isalnum(static_cast<unsigned char>(name.back()))) name.pop_back();
        if (!name.empty() && std::isalnum(static_cast<unsigned char>(name.front()))) options.server = name;
      }
    }
    auto kube = platform::kubernetes::KubernetesPlatform::Create(options);
    if (!kube) return tl::unexpected(kube.error());
    return std::unique_ptr<platform::Platform>(std::move(*kube));
  }
  if (name == "swarm") {
    platform::swarm::SwarmOptions options;
    if (const char* socket = std::getenv("RUNLET_DOCKER_SOCKET"); socket && *socket) options.socket = socket;
    options.host_paths = host_paths;
    auto swarm = platform::swarm::SwarmPlatform::Create(options, images);
    if (!swarm) return tl::unexpected(swarm.error());
    return std::unique_ptr<platform::Platform>(std::move(*swarm));
  }
  platform::docker::DockerOptions options = name == "podman"   ? platform::docker::PodmanOptions()
                                            : name == "gvisor" ? platform::docker::GvisorOptions()
                                                               : platform::docker::DockerOptions{};
  const char* socket = std::getenv(name == "podman" ? "RUNLET_PODMAN_SOCKET" : "RUNLET_DOCKER_SOCKET");
  if (socket && *socket) options.socket = socket;
  options.host_paths = host_paths;
  auto engine = platform::docker::DockerPlatform::Create(options, images);
  if (!engine) return tl::unexpected(engine.error());
  return std::unique_ptr<platform::Platform>(std::move(*engine));
}

}  // namespace

Result<NativeStack> MakePlatformStack(const Paths& paths, const std::string& platform, int pool_size) {
  if (platform == "native") return MakeNativeStack(paths, pool_size);
  if (!KnownPlatform(platform)) return tl::unexpected(UnknownPlatform(platform));
  NativeStack stack;
  sandbox::SandboxOptions options;
  options.zygote = false;
  if (auto box = sandbox::Sandbox::Create(options); box) stack.sandbox = std::move(*box);
  stack.images = std::make_unique<image::ImageStore>(paths.data_dir);
  auto engine = MakeEnginePlatform(platform, *stack.images, paths.host_paths);
  if (!engine) return tl::unexpected(engine.error());
  stack.platform = std::move(*engine);
  return stack;
}

Result<std::vector<std::string>> ParsePlatformNames(const std::string& list) {
  std::vector<std::string> names;
  size_t at = 0;
  while (at <= list.size()) {
    const size_t comma = std::min(list.find(',', at), list.size());
    std::string name = list.substr(at, comma - at);
    while (!name.empty() && name.front() == ' ') name.erase(0, 1);
    while (!name.empty() && name.back() == ' ') name.pop_back();
    if (!name.empty()) {
      if (!KnownPlatform(name)) return tl::unexpected(UnknownPlatform(name));
      if (std::find(names.begin(), names.end(), name) != names.end()) {
        return Fail(ErrorKind::kInvalid, "platform \"" + name + "\" is named twice");
      }
      names.push_back(std::move(name));
    }
    at = comma + 1;
  }
  if (names.empty()) return Fail(ErrorKind::kInvalid, "no platform named (native, docker, podman, gvisor, swarm, kubernetes)");
  return names;
}

Result<NativeStack> MakeServerStack(const Paths& paths, std::vector<std::string> names, const std::string& default_name,
                                    int pool_size) {
  if (!KnownPlatform(default_name)) return tl::unexpected(UnknownPlatform(default_name));
  if (std::find(names.begin(), names.end(), default_name) == names.end()) names.insert(names.begin(), default_name);
  const bool native = std::find(names.begin(), names.end(), "native") != names.end();
  NativeStack stack;
  sandbox::SandboxOptions sandbox_options;
  sandbox_options.pool_size = native ? pool_size : 0;
  sandbox_options.host_paths = paths.host_paths;
  sandbox_options.agent_path = workspaces::DefaultAgentPath();
  sandbox_options.zygote = native;
  auto box = sandbox::Sandbox::Create(sandbox_options);
  if (box) {
    stack.sandbox = std::move(*box);
  } else if (native) {
    return tl::unexpected(box.error());
  }
  stack.images = std::make_unique<image::ImageStore>(paths.data_dir);
  stack.platforms = std::make_unique<platform::PlatformSet>();
  for (const auto& name : names) {
    if (name == "native") {
      stack.platforms->Add(name, [&box = *stack.sandbox, &images = *stack.images]() -> Result<std::unique_ptr<platform::Platform>> {
        return std::make_unique<platform::NativePlatform>(box, images);
      });
    } else {
      stack.platforms->Add(name, [name, &images = *stack.images, host_paths = paths.host_paths] {
        return MakeEnginePlatform(name, images, host_paths);
      });
    }
  }
  if (auto st = stack.platforms->SetDefault(default_name); !st) return tl::unexpected(st.error());
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

std::pair<std::string, std::string> CheckRuntime(NativeStack& stack, const Paths& paths, const runtime::Runtime& rt) {
  if (!rt.enabled) return {"", "disabled"};
  if (auto image = stack.images->Resolve(rt.image); !image) {
    if (rt.image_suite.empty()) return {"", image.error().message};
    std::string packages;
    for (const auto& p : rt.image_packages) packages += (packages.empty() ? "" : ",") + p;
    return {"", "image " + rt.image + " is missing; build it with: runlet image build " + rt.image + " --suite " +
                    rt.image_suite + " --packages " + packages + " (or: runlet image build --for " + rt.id + ")"};
  }
  std::string version = DetectVersion(stack, paths, rt);
  if (version.empty()) return {"", "the toolchain does not answer (is it installed? scripts/setup installs the host's)"};
  return {version, ""};
}

}  // namespace runlet::cli
