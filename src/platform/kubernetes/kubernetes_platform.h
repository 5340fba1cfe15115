// The Kubernetes platform: each job is one Pod (restartPolicy Never) in the namespace the
// admin names, made through the API server's REST API (kube_client.h).
//
// Why a bare Pod and not a Job with backoffLimit 0: a run is one attempt that Runlet
// itself watches, times and cancels; a Job adds a controller that could start a second
// pod (node loss, pod deletion before it counted), needs the batch API in the RBAC, and
// its pod would still be what Runlet watches, logs and deletes. The pod's
// activeDeadlineSeconds bounds it if Runlet goes away.
//
// Inside the pod runs Runlet's step runner (runlet-swarm-step, step_protocol.h), the same
// as on Swarm, so limits, output capture and statuses are the other platforms': the
// runner comes from a ConfigMap (one per build of it, immutable, binaryData), the job's
// plan, files, input and its passwd/group from a Secret of its own; both are projected at
// /run/runlet. The runner reports on its stdout, read back through the pod's log stream
// (follow=true, resumed at the byte where a broken stream stopped); the pod's state comes
// from a watch on it (resumed from its resourceVersion; a 410 Gone re-reads the pod).
//
// Hardening of every pod: the job's own uid and gid (runAsNonRoot, a uid drawn per run,
// so that RLIMIT_NPROC counts the run's processes alone on its node), no privilege
// escalation, every capability dropped, seccomp RuntimeDefault (and the runner's own
// filter on top, which also refuses every socket but AF_UNIX), a read-only root with
// emptyDir volumes of the run's disk size for /work and /tmp, no service account token,
// no service links, requests equal to limits (Guaranteed QoS), activeDeadlineSeconds,
// and a deny-all NetworkPolicy for every pod labelled runlet.managed (made once per
// namespace at start). Running as that uid, the runner cannot switch user: it makes itself
// undumpable instead (step_main.cpp), and stays pid 1 of its container.
//
// Labels: runlet.managed=1, runlet.server=<the server's name>, runlet.run=<the pod's>.
// At start, and on a background sweep, pods and secrets of this server that no run of
// this process owns are deleted. A pod that stays Pending (no node fits, an image that
// cannot be pulled) ends the run with the scheduler's or kubelet's message: at once for
// an image pull error, else after start_timeout. Cancel deletes the pod (grace 0).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <condition_variable>

#include <boost/json/object.hpp>

#include "platform/background_queue.h"
#include "platform/kubernetes/kube_client.h"
#include "platform/platform.h"

namespace runlet::platform::kubernetes {

struct KubernetesOptions {
  std::string name = "kubernetes";
  // Credentials: a kubeconfig path ("" = in-cluster service account) and its context.
  std::string kubeconfig;
  std::string context;
  std::string namespace_;  // "" = the context's (or the service account's), else "default"
  // Runs' images: image_prefix + the runtime's image name + ":" + image_tag
  // ("registry.example.org/runlet/" + "bookworm-python" + ":" + "latest").
  std::string image_prefix;
  std::string image_tag = "latest";
  std::string image_pull_policy = "IfNotPresent";
  std::string server = "runlet";  // the runlet.server label: this server's pods
  uid_t uid_base = 2000000;
  uint32_t uid_count = 1000000;
  std::string step_runner;  // runlet-swarm-step; "": swarm::DefaultStepRunner()
  KubeTimeouts timeouts;
  KubeTimeouts health_timeouts{std::chrono::milliseconds(1000), std::chrono::milliseconds(2000)};
  // How long a pod may stay Pending (scheduling, image pull) before the run fails.
  std::chrono::milliseconds start_timeout{120000};
  // How often leftovers are swept while the platform runs.
  std::chrono::milliseconds sweep_interval{300000};
  // Extra seconds of activeDeadlineSeconds past the steps' wall time limits.
  int64_t deadline_slack_s = 60;
};

// The objects of one run, as sent to the API server (tests validate them against the
// official schemas).
struct RunObjects {
  std::string name;
  boost::json::object secret;
  boost::json::object pod;
};

class KubernetesPlatform final : public Platform {
 public:
  // Reads the credentials, checks that the API server answers, stores the step runner's
  // ConfigMap and the namespace's deny-all NetworkPolicy (each once: 409 means it is
  // there), and deletes this server's leftovers.
  static Result<std::unique_ptr<KubernetesPlatform>> Create(const KubernetesOptions& options);
  // With credentials already read (tests).
  static Result<std::unique_ptr<KubernetesPlatform>> Create(const KubernetesOptions& options, const KubeConfig& config);
  ~KubernetesPlatform() override;

  std::string_view Name() const override { return options_.name; }
  Result<JobResult> Run(const runtime::Job& job, const JobCallbacks& callbacks, int cancel_fd) override;
  Health Check() override;

  // What Run sends for `job` (kInvalid if the job cannot run here).
  Result<RunObjects> MakeObjects(const runtime::Job& job) const;
  static boost::json::object DenyAllPolicy(const std::string& namespace_);
  boost::json::object RunnerConfigMap() const;
  const std::string& namespace_name() const { return namespace_; }
  const KubeClient& client() const { return client_; }
  // Deletes this server's pods and secrets that no run of this process owns.
  Status SweepLeftovers();
  void WaitForRemovals();

 private:
  KubernetesPlatform(const KubernetesOptions& options, const KubeConfig& config);
  Status Start();
  void Remove(const std::string& name);

  KubernetesOptions options_;
  KubeClient client_;
  KubeClient quick_;  // health and the calls made while a run is watched
  std::string namespace_;
  std::string runner_b64_;
  std::string runner_name_;  // the ConfigMap
  std::mutex mu_;
  std::set<std::string> active_;  // pods of runs in progress (mu_)
  std::mutex sweep_mu_;
  std::condition_variable sweep_cv_;
  bool stopping_ = false;  // sweep_mu_
  std::thread sweeper_;
  BackgroundQueue<std::string> removals_;
};

}  // namespace runlet::platform::kubernetes
