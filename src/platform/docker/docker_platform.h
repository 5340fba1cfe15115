// The container-engine platform: jobs run in a Docker container (or a Podman one, through
// the Docker-compatible API of `podman system service`) on this machine.
//
// One container per job, from the job's runtime image (the very image the native sandbox
// uses, loaded into the engine on first use). Its init (the engine's tini/catatonit) keeps
// a `sleep` alive as an uid of its own until the job's deadline (the sum of its steps'
// wall limits and a few seconds): then the container ends, and the engine kills what is
// left in it, with or without a server. Each step (build, then run) is an exec in that
// container as the job's own unprivileged uid, so the steps share /work and /tmp like the
// native sandbox's steps do. The container gets the run's limits: memory with swap equal
// to it, pids, CPU bandwidth (NanoCpus), no network, a read-only root, tmpfs /tmp and a
// tmpfs volume for /work (size and inode limited; an archive upload cannot reach a plain
// tmpfs mount), no capabilities, no_new_privs, and Runlet's own seccomp profile (the
// native sandbox's deny list: seccomp_profile.h) in place of the engine's default.
//
// The engine must run on this host: CPU time, peak memory and OOM kills are read from the
// container's cgroup (v1 or v2, found through /proc/<pid>/cgroup), and a step that hits a
// limit or is cancelled has its processes SIGKILLed from the host while the container is
// paused (the Engine API cannot signal an exec). Everything Runlet creates carries the
// label runlet.managed=1 and the identity of the process and machine that made it
// (runlet.owner, runlet.host); Create removes what processes of this machine that are
// gone left behind, never what another machine's runlet made. A job's container and volume are removed
// after its result is returned, by a thread of the platform (off the run's critical
// path); the platform's destructor waits for those removals.
//
// gVisor: the same platform with the engine's `runsc` OCI runtime (GvisorOptions). The
// program then runs on gVisor's own kernel, in processes the host does not see: a step
// is stopped by an exec inside the container that SIGKILLs every process of the step
// user, and the container's pids limit leaves room for gVisor's own threads.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "image/image_store.h"
#include "platform/docker/engine_client.h"
#include "platform/background_queue.h"
#include "platform/platform.h"

namespace runlet::platform::docker {

class TarWriter;

struct DockerOptions {
  std::string name = "docker";                // Name(): "docker" or "podman"
  std::string socket = "/var/run/docker.sock";
  std::string api_version = "v1.41";
  std::string state_dir = "/run/runlet/docker";  // the passwd/group files bound into containers
  std::vector<std::string> host_paths;  // added to the host image's view (sandbox/host_view.h)
  // Each job's steps run as a uid:uid of its own, drawn from [uid_base, uid_base +
  // uid_count) (no host account's), so that the kernel's per-uid limits (processes,
  // inotify instances, keys, message queues) are the job's alone; its /etc/passwd names
  // it "runner".
  uid_t uid_base = 2000000;
  uint32_t uid_count = 1000000;
  uid_t keeper_uid = 65534;                      // the container's init and sleep
  // Ulimits every container gets besides nofile, fsize, stack and core (from the limits):
  // Podman on this host needs an explicit nproc, say.
  std::vector<std::pair<std::string, uint64_t>> extra_ulimits;
  // Whether the engine accepts nr_inodes for a tmpfs mount (Podman 4.3 does not: its /tmp
  // is then limited in size only; /work, a volume, keeps its inode limit).
  bool tmpfs_inode_limit = true;
  // The engine's OCI runtime for the containers ("runsc"); "": the engine's default.
  std::string oci_runtime;
  // Whether the container's processes are host processes (false under gVisor): then
  // steps are stopped from the host, else by an exec inside the container.
  bool host_sees_processes = true;
  // Added to the container's pids limit besides its init and sleep: the OCI runtime's
  // own threads in the container's cgroup (gVisor's sentry and gofer, Go programs).
  // Under gVisor the program's own processes are then bounded by RLIMIT_NPROC.
  int64_t runtime_pids = 0;
  // Host tasks each of the program's processes may take in the pids cgroup (gVisor's
  // ptrace platform: a stub per process and its threads).
  int64_t pids_factor = 1;
  // Directories the engine mounts a writable, executable, unsized tmpfs on in a
  // read-only container (Podman: /run, /var/tmp): Runlet mounts an empty, read-only,
  // noexec one of 4 KiB there instead.
  std::vector<std::string> sealed_dirs;
  // Whether the engine takes the seccomp profile as a file's path (Podman 4.3) rather
  // than as the JSON itself (Docker): the file is state_dir/seccomp.json.
  bool seccomp_profile_as_path = false;
  // A host path of runlet-seccomp-exec, bound into the containers and put before every
  // step's command, when the OCI runtime does not apply the profile to exec'd processes
  // (runsc); "": none.
  std::string seccomp_exec;
  EngineTimeouts timeouts;
  // Check()'s (/healthz, the admin's platform list): short, so that a hung engine is
  // reported as such within seconds and holds none of those callers for long.
  EngineTimeouts health_timeouts = kHealthTimeouts;
  // The calls made while a step runs and between a limit and the program's end (pause,
  // kill, the killer exec, the exec's pid): a hung engine holds a program past its limit
  // by these at most, not by a minute.
  EngineTimeouts kill_timeouts = kHealthTimeouts;
};

// Docker with gVisor's runsc as the OCI runtime (registered by scripts/start-docker):
// name "gvisor", the Docker socket.
DockerOptions GvisorOptions();

// runlet-seccomp-exec beside the running executable, else where the build put it.
std::string DefaultSeccompExec();

// Podman's service (scripts/start-podman) on /run/podman/podman.sock, with what its 4.3
// compat API needs: an explicit nproc ulimit, no tmpfs inode option.
DockerOptions PodmanOptions();

// A runtime image as the engine knows it.
struct EngineImage {
  std::string ref;                 // "runlet/host:3f2a...", "runlet/bookworm-python:<digest>"
  std::vector<std::string> binds;  // "host:container:ro" binds the image needs (host's /usr)
};

class DockerPlatform final : public Platform {
 public:
  // Checks that the engine answers, removes containers and volumes left by runlet
  // processes that are gone, and writes the identity files. `images` must outlive it.
  static Result<std::unique_ptr<DockerPlatform>> Create(const DockerOptions& options,
                                                        const image::ImageStore& images);
  ~DockerPlatform() override;  // waits for the removals still queued

  std::string_view Name() const override { return options_.name; }
  // Thread-safe: concurrent jobs get containers of their own. Blocks until the job ends.
  Result<JobResult> Run(const runtime::Job& job, const JobCallbacks& callbacks, int cancel_fd) override;
  // CheckEngine on a client of its own with options.health_timeouts: blocks for at most
  // those, takes no lock, and may run beside jobs and other checks.
  Health Check() override;

  // Makes sure the engine has the runtime image `name` (importing it when missing) and
  // says how to run it. Called by Run; public for `runlet image export --docker`-style
  // callers and the tests.
  Result<EngineImage> EnsureImage(const std::string& name);
  // The host image's /etc entries (mount points in `base`) and /usr/local, with their binds.
  Status AddHostViewEntries(TarWriter& base, std::vector<std::string>& binds) const;
  // The engine lost the image `ref` (pruned since it was seen): the next EnsureImage asks
  // the engine again, and imports it.
  void ForgetImage(const std::string& ref);

  const EngineClient& engine() const { return engine_; }

  // What a job leaves: its container, its /work volume, its identity files' directory
  // (each "" if none).
  struct Removal {
    std::string container, volume, files_dir;
  };
  // Removes them (the container and volume by force) off the caller's thread; the
  // platform's destructor (and WaitForRemovals) waits until they are gone or the engine
  // refused.
  void RemoveLater(Removal removal);
  // A uid for a job's steps that no other job of this platform holds; ReleaseUid when
  // the job's processes are gone.
  uid_t TakeUid();
  void ReleaseUid(uid_t uid);
  // Blocks until every removal queued so far is done.
  void WaitForRemovals();

 private:
  DockerPlatform(const DockerOptions& options, const image::ImageStore& images);
  Status RemoveLeftovers();
  Status WriteIdentityFiles();
  // The passwd and group of a job whose steps run as `uid`, in a directory of its own
  // (state_dir/jobs/<name>) that is returned.
  Result<std::string> WriteJobIdentity(const std::string& name, uid_t uid);

  DockerOptions options_;
  const image::ImageStore& images_;
  EngineClient engine_;
  EngineClient probe_;  // Check()'s: the same engine with options_.health_timeouts
  EngineClient quick_;  // a running step's calls: options_.kill_timeouts
  std::string owner_;  // the runlet.owner label of what this process creates
  std::mutex images_mu_;
  std::set<std::string> known_refs_;  // images this process has seen in the engine
  std::mutex uids_mu_;
  std::set<uid_t> uids_in_use_;

  // Container id and volume; started by Create. Last: it goes first, doing what is queued.
  BackgroundQueue<Removal> removals_;
};

// The health of the engine `probe` talks to: ok when it answers GET /version within the
// probe's timeouts (so it blocks for at most connect + request of those). `name` ("docker",
// "podman") starts the detail: the engine's version, or why it is not healthy.
Health CheckEngine(const EngineClient& probe, std::string_view name);

// The runlet.owner label of this process: "<boot id>/<pid>/<start time>".
std::string OwnerLabel();
// False when the process a runlet.owner label names is gone (another boot, no such pid,
// or a pid reused by a later process). Meaningful on the owner's machine only.
bool OwnerAlive(const std::string& label);
// The runlet.host label of what this machine's runlet processes create: /etc/machine-id,
// else the host name. Several servers share an engine (a swarm's manager, say): each
// judges only what its own machine made.
const std::string& HostLabel();
// Whether what carries these runlet.owner and runlet.host labels was left by a runlet
// process of this machine that is gone, and so may be removed. Another machine's, or one
// without an owner, never is; one without a host label (made before hosts were labelled)
// is judged by its owner alone.
bool LeftBehind(const std::string& owner, const std::string& host);

}  // namespace runlet::platform::docker
