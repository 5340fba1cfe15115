#include "platform/kubernetes/kubernetes_platform.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>

#include "core/environment.h"
#include "core/hex.h"
#include "core/log.h"
#include "core/units.h"
#include "image/sha256.h"
#include "platform/container_step.h"
#include "platform/swarm/step_log_reader.h"
#include "platform/swarm/step_protocol.h"
#include "platform/swarm/swarm_platform.h"

namespace runlet::platform::kubernetes {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
using swarm::Base64Encode;
using swarm::Plan;
using swarm::PlanFile;
using swarm::MakeStep;
using swarm::StepSpec;

constexpr const char* kManagedLabel = "runlet.managed";
constexpr const char* kServerLabel = "runlet.server";
constexpr const char* kRunLabel = "runlet.run";
constexpr const char* kPolicyName = "runlet-deny-all";
// A Secret holds at most 1 MiB: the job's plan, files, input and passwd must fit.
constexpr size_t kMaxSecretBytes = 1000 * 1000;

std::string RandomHex(size_t bytes) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string raw;
  for (size_t i = 0; i < bytes; ++i) raw.push_back(static_cast<char>(rng() & 255));
  return HexEncode(raw);
}

Result<json::value> ParseJson(const std::string& text, std::string_view what) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec) return Fail("kubernetes: " + std::string(what) + ": the answer is not JSON: " + ec.message());
  return v;
}

const json::value* At(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* at = &v;
  for (auto key : path) {
    if (!at->is_object()) return nullptr;
    at = at->as_object().if_contains(key);
    if (!at) return nullptr;
  }
  return at;
}

std::string StringAt(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* at = At(v, path);
  return at && at->is_string() ? std::string(at->as_string()) : std::string();
}

Result<KubeResponse> Call(const KubeClient& client, std::string_view what, std::string_view method,
                          const std::string& target, const std::string& body = {}) {
  auto r = client.Request(method, target, body);
  if (!r) return tl::unexpected(r.error().Wrap(std::string(what)));
  if (!r->ok()) return tl::unexpected(KubeError(what, *r));
  return r;
}


json::object Labels(const std::string& server, const std::string& run) {
  json::object l{{kManagedLabel, "1"}, {kServerLabel, server}};
  if (!run.empty()) l[kRunLabel] = run;
  return l;
}

std::string Selector(const std::string& server) {
  return QueryEncode(std::string(kManagedLabel) + "=1," + kServerLabel + "=" + server);
}

std::string CpuQuantity(double cpus) {
  const auto milli = std::max<int64_t>(10, static_cast<int64_t>(std::llround(cpus * 1000)));
  return std::to_string(milli) + "m";
}

const json::object kDeleteNow{{"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"gracePeriodSeconds", 0},
                              {"propagationPolicy", "Background"}};

// What the pod's status says about a run that has not reported: "" while it may still.
struct PodView {
  std::string phase;          // Pending, Running, Succeeded, Failed, Unknown
  std::string waiting;        // the container's waiting reason (ErrImagePull, ...)
  std::string waiting_message;
  std::string terminated;     // its terminated reason (OOMKilled, Error, Completed)
  std::string reason, message;  // the pod's (DeadlineExceeded, Evicted)
  std::string unschedulable;  // the PodScheduled condition's message when False
  bool started = false;       // the container ran (running or terminated)
};

PodView View(const json::value& pod) {
  PodView v;
  v.phase = StringAt(pod, {"status", "phase"});
  v.reason = StringAt(pod, {"status", "reason"});
  v.message = StringAt(pod, {"status", "message"});
  if (const auto* conds = At(pod, {"status", "conditions"}); conds && conds->is_array()) {
    for (const auto& c : conds->as_array()) {
      if (StringAt(c, {"type"}) == "PodScheduled" && StringAt(c, {"status"}) == "False") {
        v.unschedulable = StringAt(c, {"reason"}) + ": " + StringAt(c, {"message"});
      }
    }
  }
  if (const auto* cs = At(pod, {"status", "containerStatuses"}); cs && cs->is_array() && !cs->as_array().empty()) {
    const auto& c = cs->as_array().front();
    v.waiting = StringAt(c, {"state", "waiting", "reason"});
    v.waiting_message = StringAt(c, {"state", "waiting", "message"});
    v.terminated = StringAt(c, {"state", "terminated", "reason"});
    v.started = At(c, {"state", "running"}) != nullptr || At(c, {"state", "terminated"}) != nullptr;
  }
  return v;
}

bool ImageError(const std::string& reason) {
  return reason == "ErrImagePull" || reason == "ImagePullBackOff" || reason == "InvalidImageName" ||
         reason == "ErrImageNeverPull" || reason == "CreateContainerConfigError" || reason == "CreateContainerError" ||
         reason == "RunContainerError";
}

}  // namespace

KubernetesPlatform::KubernetesPlatform(const KubernetesOptions& options, const KubeConfig& config)
    : options_(options),
      client_(config, options.timeouts),
      quick_(config, options.health_timeouts),
      removals_([this](std::string& name) { Remove(name); }) {
  namespace_ = !options.namespace_.empty() ? options.namespace_
               : !config.namespace_.empty() ? config.namespace_
                                             : "default";
}

KubernetesPlatform::~KubernetesPlatform() {
  {
    std::lock_guard lock(sweep_mu_);
    stopping_ = true;
  }
  sweep_cv_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
}

Result<std::unique_ptr<KubernetesPlatform>> KubernetesPlatform::Create(const KubernetesOptions& options) {
  auto config = options.kubeconfig.empty() ? LoadInCluster() : LoadKubeconfig(options.kubeconfig, options.context);
  if (!config) return tl::unexpected(config.error().Wrap(options.name + " platform"));
  return Create(options, *config);
}

Result<std::unique_ptr<KubernetesPlatform>> KubernetesPlatform::Create(const KubernetesOptions& options,
                                                                       const KubeConfig& config) {
  std::unique_ptr<KubernetesPlatform> p(new KubernetesPlatform(options, config));
  if (auto s = p->Start(); !s) return tl::unexpected(s.error().Wrap(options.name + " platform"));
  return p;
}

Status KubernetesPlatform::Start() {
  if (options_.image_prefix.empty()) return Fail(ErrorKind::kInvalid, "no image prefix (the registry of the runtimes' images)");
  // The step runner, once per build of it.
  const std::string path = options_.step_runner.empty() ? swarm::DefaultStepRunner() : options_.step_runner;
  std::ifstream in(path, std::ios::binary);
  if (path.empty() || !in) return Fail("no step runner at \"" + path + "\" (runlet-swarm-step is built beside runlet)");
  std::stringstream bytes;
  bytes << in.rdbuf();
  const std::string binary = bytes.str();
  if (binary.empty() || binary.size() >= kMaxSecretBytes) {
    return Fail("the step runner " + path + " is " + std::to_string(binary.size()) + " bytes: a ConfigMap holds 1 MiB");
  }
  image::Sha256 sha;
  sha.Update(binary);
  runner_name_ = "runlet-step-" + sha.HexDigest().substr(0, 32);
  runner_b64_ = Base64Encode(binary);

  const std::string ns = "/api/v1/namespaces/" + namespace_;
  auto cm = client_.Request("POST", ns + "/configmaps", json::serialize(RunnerConfigMap()));
  if (!cm) return tl::unexpected(cm.error().Wrap("store the step runner"));
  if (!cm->ok() && cm->status != 409) return tl::unexpected(KubeError("store the step runner", *cm));
  auto np = client_.Request("POST", "/apis/networking.k8s.io/v1/namespaces/" + namespace_ + "/networkpolicies",
                            json::serialize(DenyAllPolicy(namespace_)));
  if (!np) return tl::unexpected(np.error().Wrap("create the deny-all network policy"));
  if (!np->ok() && np->status != 409) return tl::unexpected(KubeError("create the deny-all network policy", *np));
  if (auto s = SweepLeftovers(); !s) return s;
  removals_.Start();
  sweeper_ = std::thread([this] {
    std::unique_lock lock(sweep_mu_);
    while (!sweep_cv_.wait_for(lock, options_.sweep_interval, [&] { return stopping_; })) {
      lock.unlock();
      if (auto s = SweepLeftovers(); !s) Log("warn", "kubernetes: the leftover sweep failed", {{"error", s.error().message}});
      lock.lock();
    }
  });
  return {};
}

json::object KubernetesPlatform::DenyAllPolicy(const std::string& namespace_) {
  return json::object{
      {"apiVersion", "networking.k8s.io/v1"},
      {"kind", "NetworkPolicy"},
      {"metadata", json::object{{"name", kPolicyName}, {"namespace", namespace_}, {"labels", json::object{{kManagedLabel, "1"}}}}},
      {"spec", json::object{{"podSelector", json::object{{"matchLabels", json::object{{kManagedLabel, "1"}}}}},
                            {"policyTypes", json::array{"Ingress", "Egress"}},
                            {"ingress", json::array{}},
                            {"egress", json::array{}}}}};
}

json::object KubernetesPlatform::RunnerConfigMap() const {
  return json::object{{"apiVersion", "v1"},
                      {"kind", "ConfigMap"},
                      {"metadata", json::object{{"name", runner_name_},
                                                {"namespace", namespace_},
                                                {"labels", json::object{{"runlet.step-runner", "1"}}}}},
                      {"immutable", true},
                      {"binaryData", json::object{{"step", runner_b64_}}}};
}

Result<RunObjects> KubernetesPlatform::MakeObjects(const runtime::Job& job) const {
  if (job.run.argv.empty()) return Fail(ErrorKind::kInvalid, "the job has no run command");
  if (job.run.limits.network) return Fail(ErrorKind::kInvalid, "network access is not supported");
  if (job.image.empty() || job.image == "host") {
    return Fail(ErrorKind::kInvalid, "the " + options_.name +
                                         " platform runs images from a registry, not the host's toolchains (image \"" +
                                         job.image + "\")");
  }
  Plan plan;
  plan.uid = options_.uid_base + static_cast<uid_t>(std::stoull(RandomHex(4), nullptr, 16) % options_.uid_count);
  if (job.build) plan.steps.push_back(MakeStep("build", *job.build, false));
  plan.steps.push_back(MakeStep("run", job.run, !job.stdin_data.empty()));
  std::vector<PlanFile> files;
  for (const auto& f : job.files) files.push_back(PlanFile{f.path, f.content, f.executable});
  const std::string archive = swarm::EncodeFiles(files);
  plan.file_parts = 1;
  const std::string uid = std::to_string(plan.uid);
  const std::string passwd = "root:x:0:0:root:/root:/usr/sbin/nologin\nrunner:x:" + uid + ":" + uid +
                             ":runner:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
  const std::string group = "root:x:0:\nrunner:x:" + uid + ":\nnogroup:x:65534:\n";
  const std::string plan_text = swarm::EncodePlan(plan);
  if (archive.size() + job.stdin_data.size() + plan_text.size() + passwd.size() + group.size() > kMaxSecretBytes * 3 / 4) {
    return Fail(ErrorKind::kInvalid, "the " + options_.name + " platform takes at most " +
                                         FormatSize(kMaxSecretBytes * 3 / 4) + " of files and input per run");
  }

  RunObjects out;
  out.name = "runlet-" + RandomHex(10);
  const json::object labels = Labels(options_.server, out.name);
  json::object data{{"plan", Base64Encode(plan_text)},
                    {"files.0", Base64Encode(archive)},
                    {"passwd", Base64Encode(passwd)},
                    {"group", Base64Encode(group)}};
  if (!job.stdin_data.empty()) data["stdin"] = Base64Encode(job.stdin_data);
  out.secret = json::object{{"apiVersion", "v1"},
                            {"kind", "Secret"},
                            {"metadata", json::object{{"name", out.name}, {"namespace", namespace_}, {"labels", labels}}},
                            {"type", "Opaque"},
                            {"immutable", true},
                            {"data", std::move(data)}};

  uint64_t memory = 0, output = 0, wall_ms = 0;
  double cpus = 0;
  for (const auto* c : {job.build ? &*job.build : nullptr, &job.run}) {
    if (!c) continue;
    memory = std::max(memory, c->limits.memory_bytes);
    output = std::max(output, c->limits.output_bytes);
    cpus = std::max(cpus, c->limits.cpus);
    wall_ms += static_cast<uint64_t>(c->limits.wall_time.count());
  }
  if (cpus <= 0) cpus = 1;
  const Limits& disk = job.run.limits;
  // The log holds the whole output as base64 lines: the node's disk, with /work and /tmp.
  const uint64_t log_bytes = (output * 4 / 3 + 65536) * 4 + (1u << 20);
  const uint64_t storage = 2 * disk.disk_bytes + log_bytes;
  const json::object quantities{{"cpu", CpuQuantity(cpus)},
                                {"memory", std::to_string(memory + (16u << 20))},  // and the runner's own
                                {"ephemeral-storage", std::to_string(storage)}};
  const auto id = static_cast<int64_t>(plan.uid);
  const json::object seccomp{{"type", "RuntimeDefault"}};
  json::object container{
      {"name", "run"},
      {"image", options_.image_prefix + job.image + ":" + options_.image_tag},
      {"imagePullPolicy", options_.image_pull_policy},
      {"command", json::array{swarm::kRunnerPath}},
      {"workingDir", "/"},
      {"resources", json::object{{"limits", quantities}, {"requests", quantities}}},
      {"securityContext", json::object{{"runAsNonRoot", true},
                                       {"runAsUser", id},
                                       {"runAsGroup", id},
                                       {"allowPrivilegeEscalation", false},
                                       {"privileged", false},
                                       {"readOnlyRootFilesystem", true},
                                       {"capabilities", json::object{{"drop", json::array{"ALL"}}}},
                                       {"seccompProfile", seccomp}}},
      {"volumeMounts", json::array{json::object{{"name", "runlet"}, {"mountPath", "/run/runlet"}, {"readOnly", true}},
                                   json::object{{"name", "runlet"}, {"mountPath", "/etc/passwd"}, {"subPath", "passwd"}, {"readOnly", true}},
                                   json::object{{"name", "runlet"}, {"mountPath", "/etc/group"}, {"subPath", "group"}, {"readOnly", true}},
                                   json::object{{"name", "work"}, {"mountPath", "/work"}},
                                   json::object{{"name", "tmp"}, {"mountPath", "/tmp"}}}},
      {"terminationMessagePolicy", "File"}};
  const std::string size = std::to_string(disk.disk_bytes);
  out.pod = json::object{
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata", json::object{{"name", out.name}, {"namespace", namespace_}, {"labels", labels}}},
      {"spec",
       json::object{
           {"restartPolicy", "Never"},
           {"automountServiceAccountToken", false},
           {"enableServiceLinks", false},
           {"shareProcessNamespace", false},
           {"hostNetwork", false},
           {"hostPID", false},
           {"hostIPC", false},
           {"terminationGracePeriodSeconds", 0},
           {"activeDeadlineSeconds", static_cast<int64_t>(wall_ms / 1000) + options_.deadline_slack_s},
           {"securityContext", json::object{{"runAsNonRoot", true},
                                            {"runAsUser", id},
                                            {"runAsGroup", id},
                                            {"seccompProfile", seccomp}}},
           {"containers", json::array{std::move(container)}},
           {"volumes",
            json::array{
                json::object{{"name", "runlet"},
                             {"projected",
                              json::object{{"defaultMode", 0444},
                                           {"sources",
                                            json::array{json::object{{"secret", json::object{{"name", out.name}}}},
                                                        json::object{{"configMap",
                                                                      json::object{{"name", runner_name_},
                                                                                   {"items", json::array{json::object{
                                                                                                 {"key", "step"},
                                                                                                 {"path", "step"},
                                                                                                 {"mode", 0555}}}}}}}}}}}},
                json::object{{"name", "work"}, {"emptyDir", json::object{{"sizeLimit", size}}}},
                json::object{{"name", "tmp"}, {"emptyDir", json::object{{"sizeLimit", size}}}}}}}}};
  return out;
}

void KubernetesPlatform::WaitForRemovals() { removals_.Wait(); }

void KubernetesPlatform::Remove(const std::string& name) {
  const std::string ns = "/api/v1/namespaces/" + namespace_;
  const std::string body = json::serialize(kDeleteNow);
  for (const char* kind : {"/pods/", "/secrets/"}) {
    auto r = client_.Request("DELETE", ns + kind + name, body);
    if (!r) {
      Log("warn", "kubernetes: remove a run's objects", {{"name", name}, {"error", r.error().message}});
    } else if (!r->ok() && r->status != 404) {
      Log("warn", "kubernetes: remove a run's objects", {{"name", name}, {"error", KubeError("delete", *r).message}});
    }
  }
}

Status KubernetesPlatform::SweepLeftovers() {
  const std::string ns = "/api/v1/namespaces/" + namespace_;
  for (const char* kind : {"pods", "secrets"}) {
    auto list = Call(client_, std::string("list this server's ") + kind, "GET",
                     ns + "/" + kind + "?labelSelector=" + Selector(options_.server));
    if (!list) return tl::unexpected(list.error());
    auto doc = ParseJson(list->body, "list");
    if (!doc) return tl::unexpected(doc.error());
    const auto* items = At(*doc, {"items"});
    if (!items || !items->is_array()) continue;
    for (const auto& item : items->as_array()) {
      const std::string name = StringAt(item, {"metadata", "name"});
      if (name.empty()) continue;
      {
        std::lock_guard lock(mu_);
        if (active_.count(name)) continue;
      }
      auto r = client_.Request("DELETE", ns + "/" + kind + "/" + name, json::serialize(kDeleteNow));
      if (!r) return tl::unexpected(r.error().Wrap("delete the leftover " + name));
      if (!r->ok() && r->status != 404) return tl::unexpected(KubeError("delete the leftover " + name, *r));
    }
  }
  return {};
}

Result<JobResult> KubernetesPlatform::Run(const runtime::Job& job, const JobCallbacks& callbacks, int cancel_fd) {
  auto objects = MakeObjects(job);
  if (!objects) return tl::unexpected(objects.error());
  const std::string& name = objects->name;
  const std::string ns = "/api/v1/namespaces/" + namespace_;
  JobResult out;
  auto fail_internal = [&](const Error& e) {
    out.run = {};
    out.run.status = RunStatus::kInternalError;
    out.run.message = e.message;
    return out;
  };
  {
    std::lock_guard lock(mu_);
    active_.insert(name);
  }
  bool created_any = false, deleted = false;
  struct Cleanup {
    KubernetesPlatform& p;
    const std::string& name;
    bool& created_any;
    bool& deleted;
    ~Cleanup() {
      {
        std::lock_guard lock(p.mu_);
        p.active_.erase(name);
      }
      if (created_any && !deleted) p.removals_.Push(name);
    }
  } cleanup{*this, name, created_any, deleted};

  // 1. The Secret, then the Pod.
  if (auto s = Call(client_, "create the run's secret", "POST", ns + "/secrets", json::serialize(objects->secret)); !s) {
    return fail_internal(s.error());
  }
  created_any = true;
  auto created = Call(client_, "create the run's pod", "POST", ns + "/pods", json::serialize(objects->pod));
  if (!created) return fail_internal(created.error());
  auto created_doc = ParseJson(created->body, "create the pod");
  if (!created_doc) return fail_internal(created_doc.error());
  std::string resource_version = StringAt(*created_doc, {"metadata", "resourceVersion"});
  PodView pod = View(*created_doc);

  // 2. The pod's watch and, once its container started, its log, until the runner says "D".
  swarm::StepLogReader reader(job, callbacks);
  std::unique_ptr<KubeStream> watch, log;
  std::string watch_pending;
  uint64_t log_seen = 0;    // bytes of the log fed to the reader
  uint64_t stream_pos = 0;  // bytes of the current log stream
  const auto created_at = Clock::now();
  std::optional<Clock::time_point> ended_at;
  uint64_t steps_wall_ms = 0;
  for (const auto* c : {job.build ? &*job.build : nullptr, &job.run}) {
    if (c) steps_wall_ms += static_cast<uint64_t>(c->limits.wall_time.count());
  }
  std::optional<Clock::time_point> started_at;
  bool cancelled = false, gone = false;
  auto next_try = Clock::now();
  auto reread = [&]() -> Status {  // the pod as it is now (a watch that is gone, 410)
    auto r = Call(quick_, "read the run's pod", "GET", ns + "/pods/" + name);
    if (!r) {
      if (r.error().kind == ErrorKind::kNotFound) gone = true;
      return tl::unexpected(r.error());
    }
    auto doc = ParseJson(r->body, "read the pod");
    if (!doc) return tl::unexpected(doc.error());
    resource_version = StringAt(*doc, {"metadata", "resourceVersion"});
    pod = View(*doc);
    return {};
  };
  while (!reader.done()) {
    const auto now = Clock::now();
    if (cancel_fd >= 0) {
      pollfd p{cancel_fd, POLLIN, 0};
      if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
        cancelled = true;
        break;
      }
    }
    if (gone) return fail_internal(Error{"the run's pod was deleted by someone else"});
    if (!watch && now >= next_try) {
      auto s = quick_.Stream(ns + "/pods?watch=true&allowWatchBookmarks=false&fieldSelector=" +
                             QueryEncode("metadata.name=" + name) + "&resourceVersion=" + QueryEncode(resource_version));
      if (s) {
        watch = std::move(*s);
      } else {
        if (s.error().message.find("(HTTP 410)") != std::string::npos) (void)reread();
        next_try = now + milliseconds(200);
      }
    }
    // The pod's state.
    if (!pod.started && ImageError(pod.waiting)) {
      return fail_internal(Error{"the pod cannot start: " + pod.waiting +
                                 (pod.waiting_message.empty() ? "" : ": " + pod.waiting_message)});
    }
    if (!pod.started && pod.phase != "Succeeded" && pod.phase != "Failed" && now - created_at > options_.start_timeout) {
      std::string why = !pod.unschedulable.empty() ? pod.unschedulable
                        : !pod.waiting.empty()     ? pod.waiting + (pod.waiting_message.empty() ? "" : ": " + pod.waiting_message)
                                                   : "phase " + pod.phase;
      return fail_internal(Error{"the pod stayed Pending for " + std::to_string(options_.start_timeout.count() / 1000) +
                                 " s: " + why});
    }
    const bool ended = pod.phase == "Succeeded" || pod.phase == "Failed";
    if (ended && !ended_at) ended_at = now;
    if (reader.started() && !started_at) started_at = now;
    if (started_at && now - *started_at > milliseconds(steps_wall_ms + 30000)) {
      return fail_internal(Error{"the step runner did not finish the job in time"});
    }
    if (ended_at && !log && now - *ended_at > milliseconds(3000)) {
      // Over, and its log (read to its end) never said so: the runner died.
      if (pod.terminated == "OOMKilled" || pod.reason == "DeadlineExceeded") break;
      return fail_internal(Error{"the pod ended without a report (" + pod.phase +
                                 (pod.terminated.empty() ? "" : ", " + pod.terminated) +
                                 (pod.reason.empty() ? "" : ", " + pod.reason) +
                                 (pod.message.empty() ? "" : ": " + pod.message) + ")"});
    }
    if (!log && (pod.started || ended) && now >= next_try) {
      auto s = quick_.Stream(ns + "/pods/" + name + "/log?container=run&follow=true");
      if (s) {
        log = std::move(*s);
        stream_pos = 0;
      } else {
        next_try = now + milliseconds(200);
      }
    }
    // Read what came.
    if (log) {
      std::string got;
      const bool open = log->Read(got, milliseconds(watch ? 20 : 50));
      // A stream followed again starts at the log's beginning: what was read is skipped.
      const uint64_t start = stream_pos, end = stream_pos + got.size();
      if (end > log_seen) {
        reader.Feed(std::string_view(got).substr(log_seen > start ? log_seen - start : 0));
        log_seen = end;
      }
      stream_pos = end;
      if (!open) {
        log.reset();
        next_try = Clock::now() + milliseconds(200);
      }
    }
    if (watch) {
      const bool open = watch->Read(watch_pending, milliseconds(log ? 20 : 50));
      for (size_t nl; (nl = watch_pending.find('\n')) != std::string::npos;) {
        const std::string line = watch_pending.substr(0, nl);
        watch_pending.erase(0, nl + 1);
        boost::system::error_code ec;
        auto event = json::parse(line, ec);
        if (ec) continue;
        const std::string type = StringAt(event, {"type"});
        const json::value* object = At(event, {"object"});
        if (!object) continue;
        if (type == "ERROR") {
          // 410 Gone: the resourceVersion is too old: read the pod and watch from it.
          watch.reset();
          (void)reread();
          break;
        }
        if (type == "DELETED") {
          gone = !cancelled;
          break;
        }
        resource_version = StringAt(*object, {"metadata", "resourceVersion"});
        pod = View(*object);
      }
      if (watch && !open) watch.reset();  // the server ended it (its timeout): watch again
    }
    if (!log && !watch) ::usleep(20000);
  }

  if (cancelled) {
    // The pod goes now; its secret with it.
    deleted = true;
    auto r = client_.Request("DELETE", ns + "/pods/" + name, json::serialize(kDeleteNow));
    if (!r || (!r->ok() && r->status != 404)) deleted = false;
    if (deleted) removals_.Push(name);  // the secret (the pod's 404 is fine)
    RunResult c;
    c.status = RunStatus::kCancelled;
    c.message = "cancelled";
    if (job.build && !reader.build()) out.build = c;
    if (job.build && reader.build()) out.build = std::move(*reader.build());
    out.run = c;
    if (job.build && out.build->status != RunStatus::kOk && out.build->status != RunStatus::kCancelled) {
      out.run = BuildFailure(*out.build);
    }
    return out;
  }
  // 3. The results. A step without a report while the stream had not ended: the whole
  // container was stopped mid-step, for its memory (the kernel's OOM killer) or the pod's
  // deadline. The step's result says so; what it printed is kept.
  return reader.Result([&]() -> std::optional<RunResult> {
    if (reader.done()) return std::nullopt;
    RunResult r;
    if (pod.terminated == "OOMKilled") {
      r.status = RunStatus::kMemoryLimit;
      r.message = "the pod's container was killed for memory (OOMKilled)";
      r.signal = 9;
    } else {
      r.status = RunStatus::kTimeLimit;
      r.message = "the pod's deadline passed (DeadlineExceeded)";
    }
    return r;
  });
}

Health KubernetesPlatform::Check() {
  auto version = quick_.Request("GET", "/version");
  if (!version) return {false, version.error().message};
  if (!version->ok()) return {false, KubeError("server version", *version).message};
  auto doc = ParseJson(version->body, "server version");
  if (!doc) return {false, doc.error().message};
  // The rights a run needs, as the server sees them: listing pods in the namespace.
  auto pods = quick_.Request("GET", "/api/v1/namespaces/" + namespace_ + "/pods?limit=1&labelSelector=" +
                                        Selector(options_.server));
  if (!pods) return {false, pods.error().message};
  if (!pods->ok()) return {false, KubeError("list pods in " + namespace_, *pods).message};
  return {true, "Kubernetes " + StringAt(*doc, {"gitVersion"}) + " at " + client_.config().server + ", context " +
                    client_.config().context + ", namespace " + namespace_};
}

}  // namespace runlet::platform::kubernetes
