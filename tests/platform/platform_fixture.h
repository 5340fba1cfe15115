// The platforms under test, made once per process: the native sandbox and the Docker
// engine (started by scripts/start-docker when it does not answer; a failure to start
// fails the test that needs it, loudly).
#pragma once

#include <string>
#include <vector>

#include "platform/docker/docker_platform.h"
#include "platform/platform.h"
#include "platform/swarm/swarm_platform.h"
#include "runtime/catalog.h"
#include "runtime/job.h"

namespace runlet::platform::testing {

// "native", "docker", "podman", "gvisor" (Docker with runsc) or "swarm"; aborts the test
// (ADD_FAILURE + nullptr) when it cannot be made.
Platform* GetPlatform(const std::string& name);
docker::DockerPlatform* GetDocker();
docker::DockerPlatform* GetPodman();
docker::DockerPlatform* GetGvisor();
swarm::SwarmPlatform* GetSwarm();
const image::ImageStore& TestImages();

// Starts the engine if needed; "" when it answers, else what went wrong.
std::string EnsureDockerEngine();
// The same for the engine behind "docker", "gvisor" or "podman", without making a
// platform (so without starting any thread in this process).
std::string EnsureEngine(const std::string& name);

const runtime::Catalog& TestCatalog();

// A job of runtime `runtime_id` with one main file.
runtime::Job MakeTestJob(const std::string& runtime_id, const std::string& main_file, const std::string& source,
                         const runtime::JobRequest& extra = {});

struct Collected {
  JobResult result;
  std::vector<RunStatus> statuses;
  std::string streamed_stdout;
  // From the run step's start (its kRunning status) to the result: how long the platform
  // took to end the run and report it; -1 when the run never started.
  int64_t ms_after_running = -1;
};
// Runs `job`; a refusal fails the test (the result is then internal_error).
Collected RunJob(Platform& platform, const runtime::Job& job, int cancel_fd = -1);

}  // namespace runlet::platform::testing
