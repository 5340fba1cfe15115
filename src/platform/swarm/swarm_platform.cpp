#include "platform/swarm/swarm_platform.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>

#include "core/hex.h"
#include "core/units.h"
#include "image/sha256.h"
#include "platform/container_step.h"
#include "platform/docker/frame_demuxer.h"
#include "platform/swarm/step_log_reader.h"
#include "platform/swarm/step_protocol.h"

#ifndef RUNLET_SWARM_STEP
#define RUNLET_SWARM_STEP ""
#endif

namespace runlet::platform::swarm {
namespace {

namespace json = boost::json;
using docker::EngineClient;
using docker::EngineError;
using docker::EngineResponse;
using docker::UrlEncode;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr const char* kManagedLabel = "runlet.managed";
constexpr const char* kOwnerLabel = "runlet.owner";
// Which machine the owner runs on: a runlet judges only its own machine's leftovers (the
// owner label's boot id and pid mean nothing on another host of the swarm).
constexpr const char* kHostLabel = "runlet.host";
// The most a job's files may take as configs (the swarm's raft store holds them).
constexpr size_t kMaxFilesBytes = 32u << 20;

Result<EngineResponse> Call(const EngineClient& engine, std::string_view what, std::string_view method,
                            const std::string& target, const std::string& body = {}) {
  auto r = engine.Request(method, target, body);
  if (!r) return tl::unexpected(r.error().Wrap(std::string(what)));
  if (!r->ok()) return tl::unexpected(EngineError(what, *r));
  return r;
}

Result<json::value> ParseJson(const std::string& text, std::string_view what) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec) return Fail(std::string(what) + ": the engine's answer is not JSON: " + ec.message());
  return v;
}

std::string StringAt(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* at = &v;
  for (auto key : path) {
    if (!at->is_object()) return {};
    at = at->as_object().if_contains(key);
    if (!at) return {};
  }
  return at->is_string() ? std::string(at->as_string()) : std::string();
}

int64_t IntAt(const json::value& v, std::initializer_list<std::string_view> path, int64_t fallback) {
  const json::value* at = &v;
  for (auto key : path) {
    if (!at->is_object()) return fallback;
    at = at->as_object().if_contains(key);
    if (!at) return fallback;
  }
  return at->is_int64() ? at->as_int64() : at->is_uint64() ? static_cast<int64_t>(at->as_uint64()) : fallback;
}

std::string RandomHex(size_t bytes) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string raw;
  for (size_t i = 0; i < bytes; ++i) raw.push_back(static_cast<char>(rng() & 255));
  return HexEncode(raw);
}

std::string Filter(std::string_view key, const std::string& value) {
  json::object f{{key, json::array{json::value(value)}}};
  return UrlEncode(json::serialize(f));
}


// A tmpfs volume of the run's disk size and inodes, made by the node's engine for the
// task's container and removed with it (a service's tmpfs mounts are noexec).
json::object TmpfsVolume(const std::string& target, const Limits& disk, const std::string& owner_opts,
                         const json::object& labels) {
  const std::string o = "size=" + std::to_string(disk.disk_bytes) + ",nr_inodes=" + std::to_string(disk.disk_inodes) +
                        "," + owner_opts + ",nosuid,nodev";
  return json::object{{"Type", "volume"},
                      {"Target", target},
                      {"VolumeOptions",
                       json::object{{"Labels", labels},
                                    {"DriverConfig", json::object{{"Name", "local"},
                                                                  {"Options", json::object{{"type", "tmpfs"},
                                                                                           {"device", "tmpfs"},
                                                                                           {"o", o}}}}}}}};
}

// Whether a leftover with these labels is this machine's and its owner is gone.
bool OursAndGone(const json::value& labels_of) {
  return docker::LeftBehind(StringAt(labels_of, {kOwnerLabel}), StringAt(labels_of, {kHostLabel}));
}

std::string ExecutableDir() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return {};
  std::string path(buf, static_cast<size_t>(n));
  return path.substr(0, path.rfind('/'));
}

}  // namespace

StepSpec MakeStep(const std::string& name, const runtime::JobCommand& cmd, bool reads_stdin) {
  StepSpec s;
  s.name = name;
  s.argv = cmd.argv;
  s.env = StepEnvironment(cmd.env);
  const Limits& l = cmd.limits;
  s.cpu_ms = static_cast<uint64_t>(l.cpu_time.count());
  s.wall_ms = static_cast<uint64_t>(l.wall_time.count());
  s.memory_bytes = l.memory_bytes;
  s.output_bytes = l.output_bytes;
  s.pids = l.pids;
  s.file_size_bytes = l.file_size_bytes ? l.file_size_bytes : l.disk_bytes;
  s.open_files = l.open_files;
  s.stack_bytes = l.stack_bytes;
  s.reads_stdin = reads_stdin;
  return s;
}

std::string DefaultStepRunner() {
  const std::string beside = ExecutableDir() + "/runlet-swarm-step";
  if (::access(beside.c_str(), X_OK) == 0) return beside;
  return RUNLET_SWARM_STEP;
}

SwarmPlatform::SwarmPlatform(const SwarmOptions& options, const image::ImageStore&)
    : options_(options),
      engine_(options.socket, options.api_version, options.timeouts),
      probe_(options.socket, options.api_version, options.health_timeouts),
      quick_(options.socket, options.api_version, options.health_timeouts),
      owner_(docker::OwnerLabel()),
      removals_([this](Objects& o) { Remove(o); }) {}

SwarmPlatform::~SwarmPlatform() = default;

Result<std::unique_ptr<SwarmPlatform>> SwarmPlatform::Create(const SwarmOptions& options,
                                                             const image::ImageStore& images) {
  std::unique_ptr<SwarmPlatform> p(new SwarmPlatform(options, images));
  const std::string what = options.name + " platform";
  auto info = Call(p->probe_, what + ": engine info", "GET", "/info");  // a hung engine: seconds
  if (!info) return tl::unexpected(info.error());
  auto doc = ParseJson(info->body, "engine info");
  if (!doc) return tl::unexpected(doc.error());
  const std::string state = StringAt(*doc, {"Swarm", "LocalNodeState"});
  const auto* control = doc->is_object() && doc->as_object().if_contains("Swarm")
                            ? doc->as_object().at("Swarm").as_object().if_contains("ControlAvailable")
                            : nullptr;
  if (state != "active" || !control || !control->is_bool() || !control->as_bool()) {
    return Fail(what + ": the engine at " + options.socket + " is not a swarm manager (swarm state \"" + state +
                "\"; `docker swarm init` makes a single-node swarm)");
  }
  p->node_id_ = StringAt(*doc, {"Swarm", "NodeID"});

  docker::DockerOptions d;
  d.name = options.name;
  d.socket = options.socket;
  d.api_version = options.api_version;
  d.state_dir = options.state_dir;
  d.host_paths = options.host_paths;
  d.timeouts = options.timeouts;
  auto docker = docker::DockerPlatform::Create(d, images);
  if (!docker) return tl::unexpected(docker.error());
  p->docker_ = std::move(*docker);
  if (auto s = p->RemoveLeftovers(); !s) return tl::unexpected(s.error().Wrap(what));
  if (auto s = p->StoreStepRunner(); !s) return tl::unexpected(s.error().Wrap(what));
  p->RemoveOtherStepRunners();  // earlier builds' runners
  p->removals_.Start();
  return p;
}

Status SwarmPlatform::StoreStepRunner() {
  std::string path = options_.step_runner.empty() ? DefaultStepRunner() : options_.step_runner;
  std::ifstream in(path, std::ios::binary);
  if (path.empty() || !in) return Fail("no step runner at \"" + path + "\" (runlet-swarm-step is built beside runlet)");
  std::stringstream bytes;
  bytes << in.rdbuf();
  const std::string binary = bytes.str();
  if (binary.empty() || binary.size() >= 1024000) {
    return Fail("the step runner " + path + " is " + std::to_string(binary.size()) +
                " bytes: a swarm config holds less than 1,024,000");
  }
  image::Sha256 sha;
  sha.Update(binary);
  runner_config_name_ = "runlet-step-" + sha.HexDigest().substr(0, 32);
  auto list = Call(engine_, "list configs", "GET", "/configs?filters=" + Filter("name", runner_config_name_));
  if (!list) return tl::unexpected(list.error());
  auto doc = ParseJson(list->body, "list configs");
  if (!doc) return tl::unexpected(doc.error());
  if (doc->is_array()) {
    for (const auto& c : doc->as_array()) {
      if (StringAt(c, {"Spec", "Name"}) == runner_config_name_) {
        runner_config_ = StringAt(c, {"ID"});
        return {};
      }
    }
  }
  // Shared by every runlet process of the swarm running this build: its maker's owner and
  // host say when another build's sweep may remove it (those left using it store it again).
  const json::object spec{{"Name", runner_config_name_},
                          {"Labels", json::object{{kManagedLabel, "1"},
                                                  {"runlet.step-runner", "1"},
                                                  {kOwnerLabel, owner_},
                                                  {kHostLabel, docker::HostLabel()}}},
                          {"Data", Base64Encode(binary)}};
  auto created = engine_.Request("POST", "/configs/create", json::serialize(spec));
  if (!created) return tl::unexpected(created.error().Wrap("store the step runner"));
  if (created->status == 409) return StoreStepRunner();  // another process stored it meanwhile
  if (!created->ok()) return tl::unexpected(EngineError("store the step runner", *created));
  auto cdoc = ParseJson(created->body, "store the step runner");
  if (!cdoc) return tl::unexpected(cdoc.error());
  runner_config_ = StringAt(*cdoc, {"ID"});
  return {};
}

Status SwarmPlatform::RemoveLeftovers() {
  const std::string filter = Filter("label", std::string(kManagedLabel) + "=1");
  auto services = Call(engine_, "list services", "GET", "/services?filters=" + filter);
  if (!services) return tl::unexpected(services.error());
  auto sdoc = ParseJson(services->body, "list services");
  if (!sdoc) return tl::unexpected(sdoc.error());
  std::vector<Objects> gone;
  if (sdoc->is_array()) {
    for (const auto& s : sdoc->as_array()) {
      const auto* spec = s.is_object() ? s.as_object().if_contains("Spec") : nullptr;
      const auto* labels = spec && spec->is_object() ? spec->as_object().if_contains("Labels") : nullptr;
      if (!labels || !OursAndGone(*labels)) continue;
      gone.push_back(Objects{StringAt(s, {"Spec", "Name"}), StringAt(s, {"ID"}), {}});
    }
  }
  auto configs = Call(engine_, "list configs", "GET", "/configs?filters=" + filter);
  if (!configs) return tl::unexpected(configs.error());
  auto cdoc = ParseJson(configs->body, "list configs");
  if (!cdoc) return tl::unexpected(cdoc.error());
  Objects orphans;
  if (cdoc->is_array()) {
    for (const auto& c : cdoc->as_array()) {
      const auto* spec = c.is_object() ? c.as_object().if_contains("Spec") : nullptr;
      const auto* labels = spec && spec->is_object() ? spec->as_object().if_contains("Labels") : nullptr;
      // Step runners are shared by every server of their build: RemoveOtherStepRunners's.
      if (!labels || !StringAt(*labels, {"runlet.step-runner"}).empty() || !OursAndGone(*labels)) continue;
      orphans.configs.push_back(StringAt(c, {"ID"}));
    }
  }
  for (const auto& o : gone) Remove(o);
  Remove(orphans);
  return {};
}

std::string SwarmPlatform::RunnerConfig() {
  std::lock_guard lock(runner_mu_);
  return runner_config_;
}

Result<std::string> SwarmPlatform::RestoreStepRunner(const std::string& missing) {
  std::lock_guard lock(runner_mu_);
  if (runner_config_ == missing) {
    if (auto s = StoreStepRunner(); !s) return tl::unexpected(s.error());
  }
  return runner_config_;
}

void SwarmPlatform::RemoveOtherStepRunners() {
  auto list = engine_.Request("GET", "/configs?filters=" + Filter("label", "runlet.step-runner=1"));
  if (!list || !list->ok()) return;
  auto doc = ParseJson(list->body, "list configs");
  if (!doc || !doc->is_array()) return;
  for (const auto& c : doc->as_array()) {
    if (StringAt(c, {"ID"}) == runner_config_) continue;
    // Another build's: removed when its maker was this machine's and is gone, or it has no
    // maker (made before makers were labelled). One a live server made stays, even idle;
    // one still in use by a service is refused by the engine, and stays too.
    const std::string owner = StringAt(c, {"Spec", "Labels", kOwnerLabel});
    if (!owner.empty() && !docker::LeftBehind(owner, StringAt(c, {"Spec", "Labels", kHostLabel}))) continue;
    (void)engine_.Request("DELETE", "/configs/" + StringAt(c, {"ID"}));
  }
}

void SwarmPlatform::Remove(const Objects& objects) {
  if (!objects.service.empty()) {
    // The task's container and its /work and /tmp volumes first, when it ran on this node
    // (the swarm agent would remove the container but keep the volumes; other nodes'
    // agents remove their containers, and their volumes go at their runlet's next start).
    std::vector<std::string> volumes;
    auto list = engine_.Request("GET", "/containers/json?all=1&filters=" +
                                           Filter("label", "com.docker.swarm.service.id=" + objects.service));
    if (list && list->ok()) {
      if (auto doc = ParseJson(list->body, "list containers"); doc && doc->is_array()) {
        for (const auto& c : doc->as_array()) {
          if (const auto* mounts = c.as_object().if_contains("Mounts"); mounts && mounts->is_array()) {
            for (const auto& m : mounts->as_array()) {
              if (StringAt(m, {"Type"}) == "volume") volumes.push_back(StringAt(m, {"Name"}));
            }
          }
          (void)engine_.Request("DELETE", "/containers/" + StringAt(c, {"Id"}) + "?force=1&v=1");
        }
      }
    }
    (void)engine_.Request("DELETE", "/services/" + objects.service);
    // The engine makes each volume twice (one for the container, one it never uses):
    // every volume labelled with the job goes.
    auto labelled = engine_.Request("GET", "/volumes?filters=" + Filter("label", "runlet.job=" + objects.name));
    if (labelled && labelled->ok()) {
      if (auto doc = ParseJson(labelled->body, "list volumes"); doc && doc->is_object()) {
        if (const auto* list = doc->as_object().if_contains("Volumes"); list && list->is_array()) {
          for (const auto& v : list->as_array()) volumes.push_back(StringAt(v, {"Name"}));
        }
      }
    }
    for (const auto& v : volumes) (void)engine_.Request("DELETE", "/volumes/" + v + "?force=1");
  }
  for (const auto& id : objects.configs) {
    // A config stays in use until the manager has dropped the service's tasks.
    for (int attempt = 0; attempt < 100; ++attempt) {
      auto r = engine_.Request("DELETE", "/configs/" + id);
      if (!r || r->ok() || r->status == 404) break;
      std::this_thread::sleep_for(milliseconds(50));
    }
  }
}

void SwarmPlatform::RemoveLater(Objects objects) { removals_.Push(std::move(objects)); }

void SwarmPlatform::WaitForRemovals() { removals_.Wait(); }

Result<JobResult> SwarmPlatform::Run(const runtime::Job& job, const JobCallbacks& callbacks, int cancel_fd) {
  if (job.run.argv.empty()) return Fail(ErrorKind::kInvalid, "the job has no run command");
  if (job.run.limits.network) return Fail(ErrorKind::kInvalid, "network access is not supported");
  auto image = docker_->EnsureImage(job.image);
  if (!image) return tl::unexpected(image.error());

  // 1. The plan, the files and the input.
  Plan plan;
  plan.uid = options_.uid_base + static_cast<uid_t>(std::stoull(RandomHex(4), nullptr, 16) % options_.uid_count);
  if (job.build) plan.steps.push_back(MakeStep("build", *job.build, false));
  plan.steps.push_back(MakeStep("run", job.run, !job.stdin_data.empty()));
  std::vector<PlanFile> files;
  for (const auto& f : job.files) files.push_back(PlanFile{f.path, f.content, f.executable});
  const std::string archive = EncodeFiles(files);
  if (archive.size() > kMaxFilesBytes || job.stdin_data.size() > kMaxFilesBytes) {
    return Fail(ErrorKind::kInvalid, "the " + options_.name + " platform takes at most " + FormatSize(kMaxFilesBytes) +
                                         " of files and of input per run");
  }
  for (size_t at = 0; at < archive.size(); at += kConfigPartBytes) ++plan.file_parts;

  JobResult out;
  auto fail_internal = [&](const Error& e) {
    out.run = {};
    out.run.status = RunStatus::kInternalError;
    out.run.message = e.message;
    return out;
  };
  const json::object labels{{kManagedLabel, "1"}, {kOwnerLabel, owner_}, {kHostLabel, docker::HostLabel()}};
  const std::string name = "runlet-job-" + RandomHex(10);
  Objects objects;
  objects.name = name;
  struct Cleanup {
    SwarmPlatform& platform;
    Objects& objects;
    ~Cleanup() {
      if (!objects.service.empty() || !objects.configs.empty()) platform.RemoveLater(std::move(objects));
    }
  } cleanup{*this, objects};

  json::array config_refs;
  auto add_config = [&](const std::string& suffix, std::string_view data, const std::string& target,
                        int mode) -> Status {
    const std::string config_name = name + "-" + suffix;
    const json::object spec{{"Name", config_name}, {"Labels", labels}, {"Data", Base64Encode(data)}};
    auto created = Call(engine_, "store the job's " + suffix, "POST", "/configs/create", json::serialize(spec));
    if (!created) return tl::unexpected(created.error());
    auto doc = ParseJson(created->body, "store a config");
    if (!doc) return tl::unexpected(doc.error());
    const std::string id = StringAt(*doc, {"ID"});
    objects.configs.push_back(id);
    config_refs.push_back(json::object{{"File", json::object{{"Name", target}, {"UID", "0"}, {"GID", "0"}, {"Mode", mode}}},
                                       {"ConfigID", id},
                                       {"ConfigName", config_name}});
    return {};
  };
  if (auto s = add_config("plan", EncodePlan(plan), kPlanPath, 0400); !s) return fail_internal(s.error());
  for (uint32_t i = 0; i < plan.file_parts; ++i) {
    const std::string_view part = std::string_view(archive).substr(i * kConfigPartBytes, kConfigPartBytes);
    if (auto s = add_config("files" + std::to_string(i), part, kFilesPrefix + std::to_string(i), 0400); !s) {
      return fail_internal(s.error());
    }
  }
  if (!job.stdin_data.empty()) {
    if (auto s = add_config("stdin", job.stdin_data, kStdinPath, 0400); !s) return fail_internal(s.error());
  }
  // The job's user by name, in place of the image's (or the host's) passwd and group.
  const std::string uid = std::to_string(plan.uid);
  const std::string passwd = "root:x:0:0:root:/root:/usr/sbin/nologin\nrunner:x:" + uid + ":" + uid +
                             ":runner:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
  const std::string group = "root:x:0:\nrunner:x:" + uid + ":\nnogroup:x:65534:\n";
  if (auto s = add_config("passwd", passwd, "/etc/passwd", 0444); !s) return fail_internal(s.error());
  if (auto s = add_config("group", group, "/etc/group", 0444); !s) return fail_internal(s.error());
  const std::string runner_id = RunnerConfig();
  config_refs.push_back(json::object{{"File", json::object{{"Name", kRunnerPath}, {"UID", "0"}, {"GID", "0"}, {"Mode", 0500}}},
                                     {"ConfigID", runner_id},
                                     {"ConfigName", runner_config_name_}});

  // 2. The service's spec: one task of the image, the largest step's limits.
  const Limits& disk = job.run.limits;
  uint64_t memory = 0, pids = 0, open_files = 0, output = 0;
  double cpus = 0;
  for (const auto* c : {job.build ? &*job.build : nullptr, &job.run}) {
    if (!c) continue;
    memory = std::max(memory, c->limits.memory_bytes);
    pids = std::max<uint64_t>(pids, c->limits.pids);
    open_files = std::max<uint64_t>(open_files, c->limits.open_files);
    output = std::max(output, c->limits.output_bytes);
    cpus = std::max(cpus, c->limits.cpus);
  }
  json::array mounts;
  for (const auto& bind : image->binds) {  // "source:target:ro"
    const size_t a = bind.find(':'), b = bind.find(':', a + 1);
    const std::string target = bind.substr(a + 1, b - a - 1);
    if (target == "/etc/passwd" || target == "/etc/group") continue;  // the job's own, above
    mounts.push_back(json::object{{"Type", "bind"},
                                  {"Source", bind.substr(0, a)},
                                  {"Target", target},
                                  {"ReadOnly", true}});
  }
  json::object volume_labels = labels;
  volume_labels["runlet.job"] = name;
  mounts.push_back(TmpfsVolume("/work", disk, "uid=" + uid + ",gid=" + uid + ",mode=0755", volume_labels));
  mounts.push_back(TmpfsVolume("/tmp", disk, "mode=1777", volume_labels));
  const auto nofile = static_cast<int64_t>(open_files + 16);
  // The log holds the whole output as base64 lines, both steps, both streams.
  const uint64_t log_bytes = (output * 4 / 3 + 65536) * 4 + (1u << 20);
  json::object container{{"Image", image->ref},
                         {"Command", json::array{kRunnerPath}},
                         {"User", "0:0"},
                         {"Dir", "/"},
                         {"Hostname", "runlet"},
                         {"ReadOnly", true},
                         {"Init", false},
                         {"StopSignal", "SIGKILL"},
                         {"StopGracePeriod", 1000000},
                         {"Labels", labels},
                         {"Mounts", std::move(mounts)},
                         {"Configs", std::move(config_refs)},
                         {"CapabilityDrop", json::array{"ALL"}},
                         {"CapabilityAdd", json::array{"CAP_SETUID", "CAP_SETGID"}},
                         {"Ulimits", json::array{json::object{{"Name", "nofile"}, {"Soft", nofile}, {"Hard", nofile}},
                                                 json::object{{"Name", "core"}, {"Soft", 0}, {"Hard", 0}}}}};
  json::object spec{
      {"Name", name},
      {"Labels", labels},
      {"TaskTemplate",
       json::object{{"ContainerSpec", std::move(container)},
                    {"Resources", json::object{{"Limits", json::object{{"MemoryBytes", static_cast<int64_t>(memory)},
                                                                      {"NanoCPUs", static_cast<int64_t>(std::llround(cpus * 1e9))},
                                                                      {"Pids", static_cast<int64_t>(pids + 2)}}}}},
                    {"RestartPolicy", json::object{{"Condition", "none"}, {"MaxAttempts", 0}}},
                    {"LogDriver", json::object{{"Name", "local"},
                                               {"Options", json::object{{"max-size", std::to_string(log_bytes / 1024 + 1) + "k"},
                                                                        {"max-file", "2"},
                                                                        {"compress", "false"}}}}}}},
      {"Mode", json::object{{"ReplicatedJob", json::object{{"MaxConcurrent", 1}, {"TotalCompletions", 1}}}}}};
  // 3. The service, then its log until the runner says it is done, the task's state beside
  // it. A task the node rejects for want of the image (pruned from the engine since this
  // process imported it) gets the image imported again and a second service.
  StepLogReader reader(job, callbacks);
  bool cancelled = false;
  for (int attempt = 0;; ++attempt) {
    const auto created_at = Clock::now();
    auto created = Call(engine_, "create the service", "POST", "/services/create", json::serialize(spec));
    if (!created && created.error().message.find("not found") != std::string::npos &&
        (created.error().message.find(runner_id) != std::string::npos ||
         created.error().message.find(runner_config_name_) != std::string::npos)) {
      // Another server's sweep removed the step runner's config while no task used it: it
      // is stored again, and the service made with the new one.
      auto stored = RestoreStepRunner(runner_id);
      if (!stored) return fail_internal(stored.error().Wrap("store the step runner again"));
      auto& refs = spec["TaskTemplate"].as_object()["ContainerSpec"].as_object()["Configs"].as_array();
      refs.back().as_object()["ConfigID"] = *stored;
      created = Call(engine_, "create the service", "POST", "/services/create", json::serialize(spec));
    }
    if (!created) return fail_internal(created.error());
    auto created_doc = ParseJson(created->body, "create the service");
    if (!created_doc) return fail_internal(created_doc.error());
    objects.service = StringAt(*created_doc, {"ID"});

    docker::FrameDemuxer demux([&](int stream, std::string_view payload) {
      if (stream == 1) reader.Feed(payload);
    });
    std::optional<docker::HijackedStream> log;
    uint64_t steps_wall_ms = 0;
    for (const auto& s : plan.steps) steps_wall_ms += s.wall_ms;
    const auto run_deadline_after_start = milliseconds(steps_wall_ms + 30000);
    std::optional<Clock::time_point> started_at, task_ended_at;
    std::string task_error;
    auto next_task_check = Clock::now();
    bool image_lost = false;
    char buf[65536];
    while (!reader.done()) {
      const auto now = Clock::now();
      if (!log) {
        auto s = quick_.Stream("GET", "/services/" + objects.service + "/logs?follow=1&stdout=1&stderr=1");
        if (s) {
          log = std::move(*s);
          demux.Feed(log->pending);
        } else if (now - created_at > options_.start_timeout) {
          return fail_internal(s.error().Wrap("follow the task's log"));
        }
      }
      if (reader.started() && !started_at) started_at = now;
      if (!started_at && now - created_at > options_.start_timeout) {
        return fail_internal(Error{"the task did not start within " + std::to_string(options_.start_timeout.count()) +
                                   " ms" + (task_error.empty() ? std::string() : ": " + task_error)});
      }
      if (started_at && now - *started_at > run_deadline_after_start) {
        return fail_internal(Error{"the step runner did not finish the job in time"});
      }
      if (task_ended_at && !started_at && attempt == 0 && task_error.find("No such image") != std::string::npos) {
        image_lost = true;
        break;
      }
      if (task_ended_at && now - *task_ended_at > milliseconds(3000)) {
        // The task is over but its log never said so: the runner died (or never started).
        return fail_internal(Error{"the task ended without a report" +
                                   (task_error.empty() ? std::string() : ": " + task_error)});
      }
      if (now >= next_task_check && !task_ended_at) {
        next_task_check = now + milliseconds(200);
        auto tasks = quick_.Request("GET", "/tasks?filters=" + Filter("service", objects.service));
        if (tasks && tasks->ok()) {
          if (auto doc = ParseJson(tasks->body, "list tasks"); doc && doc->is_array() && !doc->as_array().empty()) {
            const auto& t = doc->as_array().front();
            const std::string state = StringAt(t, {"Status", "State"});
            task_error = StringAt(t, {"Status", "Err"});
            if (state == "complete" || state == "failed" || state == "rejected" || state == "shutdown" ||
                state == "orphaned" || state == "remove") {
              task_ended_at = now;
            }
          }
        }
      }
      pollfd fds[2];
      nfds_t n = 0;
      if (log) fds[n++] = {log->fd.get(), POLLIN, 0};
      const int cancel_slot = cancel_fd >= 0 ? static_cast<int>(n) : -1;
      if (cancel_fd >= 0) fds[n++] = {cancel_fd, POLLIN, 0};
      if (::poll(fds, n, log ? 100 : 50) < 0 && errno != EINTR) return fail_internal(Error{"poll", errno});
      if (cancel_slot >= 0 && (fds[cancel_slot].revents & (POLLIN | POLLHUP | POLLERR))) {
        cancelled = true;
        break;
      }
      if (log && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
        const ssize_t got = ::read(log->fd.get(), buf, sizeof buf);
        if (got > 0) {
          demux.Feed(std::string_view(buf, static_cast<size_t>(got)));
        } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
          log.reset();  // the engine ended the stream: follow it again
        }
      }
    }
    if (!image_lost) break;
    (void)engine_.Request("DELETE", "/services/" + objects.service);
    docker_->ForgetImage(image->ref);
    auto again = docker_->EnsureImage(job.image);
    if (!again) return fail_internal(again.error().Wrap("import the image again"));
  }

  // 4. The results.
  return reader.Result([&]() -> std::optional<RunResult> {
    if (!cancelled) return std::nullopt;
    RunResult r;
    r.status = RunStatus::kCancelled;
    r.message = "cancelled";
    return r;
  });
}

Health SwarmPlatform::Check() {
  auto info = probe_.Request("GET", "/info");
  if (!info) return {false, info.error().message};
  if (!info->ok()) return {false, EngineError("engine info", *info).message};
  auto doc = ParseJson(info->body, "engine info");
  if (!doc) return {false, doc.error().message};
  const std::string state = StringAt(*doc, {"Swarm", "LocalNodeState"});
  if (state != "active") return {false, "the engine at " + options_.socket + " left the swarm (state \"" + state + "\")"};
  const int64_t nodes = IntAt(*doc, {"Swarm", "Nodes"}, 0);
  const int64_t managers = IntAt(*doc, {"Swarm", "Managers"}, 0);
  return {true, "swarm of " + std::to_string(nodes) + " node" + (nodes == 1 ? "" : "s") + " (" +
                    std::to_string(managers) + " manager" + (managers == 1 ? "" : "s") + "), engine " +
                    StringAt(*doc, {"ServerVersion"}) + " at " + options_.socket};
}

}  // namespace runlet::platform::swarm
