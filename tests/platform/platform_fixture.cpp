#include "platform_fixture.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>

#include "platform/native/native_platform.h"
#include "sandbox/sandbox.h"

namespace runlet::platform::testing {
namespace {

struct Platforms {
  std::string data_dir;
  std::unique_ptr<image::ImageStore> images;
  std::unique_ptr<sandbox::Sandbox> sandbox;
  std::unique_ptr<NativePlatform> native;
  std::unique_ptr<docker::DockerPlatform> docker, podman, gvisor;
  std::unique_ptr<swarm::SwarmPlatform> swarm;
  std::string native_error, docker_error, podman_error, gvisor_error, swarm_error;
  bool native_tried = false, docker_tried = false, podman_tried = false, gvisor_tried = false, swarm_tried = false;
};

Platforms& State() {
  static Platforms p = [] {
    Platforms out;
    char dir[] = "/tmp/runlet-platform-test-XXXXXX";
    out.data_dir = ::mkdtemp(dir) ? dir : "/tmp";
    // Only "host" is used: the data directory stays empty and goes at exit.
    static std::string to_remove = out.data_dir;
    std::atexit([] { ::rmdir(to_remove.c_str()); });
    out.images = std::make_unique<image::ImageStore>(out.data_dir);
    return out;
  }();
  return p;
}
std::mutex mu;

}  // namespace

const image::ImageStore& TestImages() { return *State().images; }

std::string EnsureDockerEngine() {
  const std::string cmd = std::string(RUNLET_START_DOCKER) + " >/dev/null 2>/tmp/runlet-start-docker.err";
  if (std::system(cmd.c_str()) != 0) {
    return "scripts/start-docker failed (see /tmp/runlet-start-docker.err and /var/log/runlet-dockerd.log)";
  }
  return "";
}

std::string EnsureEngine(const std::string& name) {
  if (name != "podman") return EnsureDockerEngine();
  const std::string cmd = std::string(RUNLET_START_PODMAN) + " >/dev/null 2>/tmp/runlet-start-podman.err";
  return std::system(cmd.c_str()) == 0 ? "" : "scripts/start-podman failed (see /tmp/runlet-start-podman.err)";
}

docker::DockerPlatform* GetDocker() {
  std::lock_guard lock(mu);
  auto& s = State();
  if (!s.docker_tried) {
    s.docker_tried = true;
    s.docker_error = EnsureDockerEngine();
    if (s.docker_error.empty()) {
      auto p = docker::DockerPlatform::Create(docker::DockerOptions{}, *s.images);
      if (p) {
        s.docker = std::move(*p);
      } else {
        s.docker_error = p.error().message;
      }
    }
  }
  if (!s.docker) ADD_FAILURE() << "the docker platform is not available: " << s.docker_error;
  return s.docker.get();
}

docker::DockerPlatform* GetGvisor() {
  std::lock_guard lock(mu);
  auto& s = State();
  if (!s.gvisor_tried) {
    s.gvisor_tried = true;
    // scripts/start-docker starts dockerd with runsc registered (or says why it is not).
    s.gvisor_error = EnsureDockerEngine();
    if (s.gvisor_error.empty()) {
      auto p = docker::DockerPlatform::Create(docker::GvisorOptions(), *s.images);
      if (p) {
        s.gvisor = std::move(*p);
      } else {
        s.gvisor_error = p.error().message;
      }
    }
  }
  if (!s.gvisor) ADD_FAILURE() << "the gvisor platform is not available: " << s.gvisor_error;
  return s.gvisor.get();
}

docker::DockerPlatform* GetPodman() {
  std::lock_guard lock(mu);
  auto& s = State();
  if (!s.podman_tried) {
    s.podman_tried = true;
    const std::string cmd = std::string(RUNLET_START_PODMAN) + " >/dev/null 2>/tmp/runlet-start-podman.err";
    if (std::system(cmd.c_str()) != 0) {
      s.podman_error = "scripts/start-podman failed (see /tmp/runlet-start-podman.err)";
    } else if (auto p = docker::DockerPlatform::Create(docker::PodmanOptions(), *s.images); p) {
      s.podman = std::move(*p);
    } else {
      s.podman_error = p.error().message;
    }
  }
  if (!s.podman) ADD_FAILURE() << "the podman platform is not available: " << s.podman_error;
  return s.podman.get();
}

swarm::SwarmPlatform* GetSwarm() {
  std::lock_guard lock(mu);
  auto& s = State();
  if (!s.swarm_tried) {
    s.swarm_tried = true;
    // scripts/start-swarm starts dockerd if needed and makes it a single-node swarm.
    const std::string cmd = std::string(RUNLET_START_SWARM) + " >/dev/null 2>/tmp/runlet-start-swarm.err";
    if (std::system(cmd.c_str()) != 0) {
      s.swarm_error = "scripts/start-swarm failed (see /tmp/runlet-start-swarm.err)";
    } else if (auto p = swarm::SwarmPlatform::Create(swarm::SwarmOptions{}, *s.images); p) {
      s.swarm = std::move(*p);
    } else {
      s.swarm_error = p.error().message;
    }
  }
  if (!s.swarm) ADD_FAILURE() << "the swarm platform is not available: " << s.swarm_error;
  return s.swarm.get();
}

Platform* GetPlatform(const std::string& name) {
  if (name == "docker") return GetDocker();
  if (name == "swarm") return GetSwarm();
  if (name == "podman") return GetPodman();
  if (name == "gvisor") return GetGvisor();
  std::lock_guard lock(mu);
  auto& s = State();
  if (!s.native_tried) {
    s.native_tried = true;
    auto box = sandbox::Sandbox::Create();
    if (box) {
      s.sandbox = std::move(*box);
      s.native = std::make_unique<NativePlatform>(*s.sandbox, *s.images);
    } else {
      s.native_error = box.error().message;
    }
  }
  if (!s.native) ADD_FAILURE() << "the native platform is not available: " << s.native_error;
  return s.native.get();
}

const runtime::Catalog& TestCatalog() {
  static const runtime::Catalog catalog = [] {
    auto c = runtime::Catalog::LoadDir(RUNLET_RUNTIMES_DIR);
    if (!c) {
      ADD_FAILURE() << c.error().message;
      return runtime::Catalog();
    }
    return std::move(*c);
  }();
  return catalog;
}

runtime::Job MakeTestJob(const std::string& runtime_id, const std::string& main_file, const std::string& source,
                         const runtime::JobRequest& extra) {
  const runtime::Runtime* rt = TestCatalog().Find(runtime_id);
  if (!rt) {
    ADD_FAILURE() << "no runtime " << runtime_id;
    return {};
  }
  runtime::JobRequest request = extra;
  request.files.insert(request.files.begin(), InputFile{main_file, source, false});
  request.main_file = main_file;
  auto job = runtime::MakeJob(*rt, request);
  if (!job) {
    ADD_FAILURE() << job.error().message;
    return {};
  }
  return *job;
}

Collected RunJob(Platform& platform, const runtime::Job& job, int cancel_fd) {
  Collected c;
  JobCallbacks callbacks;
  std::optional<std::chrono::steady_clock::time_point> running_at;
  callbacks.on_status = [&](RunStatus s) {
    c.statuses.push_back(s);
    if (s == RunStatus::kRunning) running_at = std::chrono::steady_clock::now();
  };
  callbacks.on_output = [&](Stream s, std::string_view data) {
    if (s == Stream::kStdout) c.streamed_stdout.append(data);
  };
  auto result = platform.Run(job, callbacks, cancel_fd);
  if (running_at) {
    c.ms_after_running =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - *running_at).count();
  }
  if (!result) {
    ADD_FAILURE() << platform.Name() << " refused the job: " << result.error().message;
    c.result.run.status = RunStatus::kInternalError;
    return c;
  }
  c.result = std::move(*result);
  return c;
}

}  // namespace runlet::platform::testing
