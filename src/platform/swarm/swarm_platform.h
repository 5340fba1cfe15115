// The Docker Swarm platform: each job is a replicated-job service (one task, no restart)
// on the swarm whose manager's Engine API Runlet talks to, so jobs spread over every node
// of the cluster.
//
// A task's container cannot be exec'd into or read from the manager (it may run on any
// node), so everything that happens inside it is done by Runlet's step runner,
// runlet-swarm-step (step_protocol.h, step_main.cpp), a small static executable shipped
// as a swarm config and started as the container's first process. The job's plan, its
// files and its input travel as swarm configs too (root-only files; the program's uid
// cannot read them); the runner's report and the program's output come back on the
// service's log stream, which the runner alone writes. The container gets the largest
// step's limits (memory, pids, CPU bandwidth; Swarm cannot change them between steps);
// the runner holds each step to its own (wall, CPU, memory, output, rlimits), kills the
// step user's processes when a step ends, and reads CPU time and memory from the
// container's cgroup (v1 or v2). /work and /tmp are tmpfs volumes of the run's disk size
// and inodes (a tmpfs mount of a service is noexec); the root is read-only; capabilities:
// only CAP_SETUID and CAP_SETGID for the runner, none for the program.
//
// Network: Swarm has no "none" network for services, so the task's container has an
// interface on the node's bridge; the program cannot use it: the runner's seccomp filter
// refuses every socket but AF_UNIX (besides the native sandbox's filter and the engine's
// default profile). Live input (an interactive run's stdin after the start) cannot reach
// a service's task: only the job's stdin is passed.
//
// Images: the same runtime images, imported into this engine (the DockerPlatform's
// EnsureImage); on a cluster of several nodes each node needs the image (a registry) and,
// for the host's toolchains, the same paths. Everything Runlet creates (services,
// configs, the task containers and volumes) carries the labels runlet.managed=1 and
// runlet.owner; Create removes what processes that are gone left, and a job's service,
// configs and (on this node) container and volumes are removed after its result, off the
// run's path.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "image/image_store.h"
#include "platform/background_queue.h"
#include "platform/docker/docker_platform.h"
#include "platform/docker/engine_client.h"
#include "platform/platform.h"
#include "platform/swarm/step_protocol.h"
#include "runtime/job.h"

namespace runlet::platform::swarm {

struct SwarmOptions {
  std::string name = "swarm";
  std::string socket = "/var/run/docker.sock";  // a manager's engine
  std::string api_version = "v1.41";            // ReplicatedJob, Pids, Ulimits, CapabilityAdd
  std::string state_dir = "/run/runlet/swarm";  // passwd/group files bound into containers
  std::vector<std::string> host_paths;  // added to the host image's view (sandbox/host_view.h)
  // Each job's steps run as a uid of its own, drawn from [uid_base, uid_base + uid_count),
  // so that the kernel's per-uid process count (the step's pids limit) is the job's
  // alone on its node; the job's /etc/passwd names it "runner".
  uid_t uid_base = 2000000;
  uint32_t uid_count = 1000000;
  std::string step_runner;  // runlet-swarm-step; "": DefaultStepRunner()
  docker::EngineTimeouts timeouts;
  // Health checks: a hung engine makes Check() answer within these.
  docker::EngineTimeouts health_timeouts{std::chrono::milliseconds(1000), std::chrono::milliseconds(2000),
                                         std::chrono::milliseconds(2000)};
  // How long a task may take to start (scheduling, image) before the job fails.
  std::chrono::milliseconds start_timeout{120000};
};

// runlet-swarm-step beside the running executable, else where the build put it.
std::string DefaultStepRunner();

// A job command as a step of the runner's plan (its argv, environment and limits); the
// Kubernetes platform ships the same runner.
StepSpec MakeStep(const std::string& name, const runtime::JobCommand& cmd, bool reads_stdin);

class SwarmPlatform final : public Platform {
 public:
  // Checks that the engine is a swarm manager, stores the step runner as a config (once
  // per content) and removes what runlet processes that are gone left behind.
  static Result<std::unique_ptr<SwarmPlatform>> Create(const SwarmOptions& options, const image::ImageStore& images);
  ~SwarmPlatform() override;  // waits for the removals still queued

  std::string_view Name() const override { return options_.name; }
  // Thread-safe; blocks until the job ends.
  Result<JobResult> Run(const runtime::Job& job, const JobCallbacks& callbacks, int cancel_fd) override;
  Health Check() override;

  const docker::EngineClient& engine() const { return engine_; }
  // Blocks until every removal queued so far is done.
  void WaitForRemovals();

  // One job's swarm objects: removed together, the service first.
  struct Objects {
    std::string name;  // the service's, which labels the task's volumes (runlet.job)
    std::string service;
    std::vector<std::string> configs;
  };
  void RemoveLater(Objects objects);

 private:
  SwarmPlatform(const SwarmOptions& options, const image::ImageStore& images);
  Status RemoveLeftovers();
  Status StoreStepRunner();  // under runner_mu_ once the platform is shared
  void RemoveOtherStepRunners();
  std::string RunnerConfig();
  // Stores the step runner again when its config `missing` is still the one known (another
  // server removed it); the config's id.
  Result<std::string> RestoreStepRunner(const std::string& missing);
  void Remove(const Objects& objects);

  SwarmOptions options_;
  docker::EngineClient engine_;
  docker::EngineClient probe_;  // short timeouts: health
  // The same, for the calls made while a job runs (its log, its task's state): a hung
  // engine holds the watch over deadlines and cancel for seconds at most.
  docker::EngineClient quick_;
  std::unique_ptr<docker::DockerPlatform> docker_;  // this engine's images
  std::string owner_;
  std::string node_id_;        // this engine's node
  std::mutex runner_mu_;
  std::string runner_config_;  // the step runner's config: id (runner_mu_)
  std::string runner_config_name_;

  // Started by Create. Last: it goes first, doing what is queued.
  BackgroundQueue<Objects> removals_;
};

}  // namespace runlet::platform::swarm
