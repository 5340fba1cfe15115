// Runs one command in a fresh sandbox: new user, pid, mount, network, ipc, uts and cgroup
// namespaces; a read-only root; tmpfs /work and /tmp with size and inode limits; no
// network; an unprivileged uid per slot; no capabilities; no_new_privs; seccomp; cgroup
// limits on memory, pids and CPU; CPU time, wall time and output limits enforced by the
// supervisor. The whole process tree dies with the run, however it tried to escape.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/limits.h"
#include "core/run_result.h"
#include "sandbox/features.h"
#include "sandbox/rootfs.h"

namespace runlet::sandbox {

struct SandboxOptions {
  std::string state_dir = "/run/runlet";  // slot locks and the root attach point
  uid_t uid_base = 200000;                // slot N runs as host uid/gid uid_base + N
  int slots = 256;                        // sandboxes at once, across all processes
  std::string cgroup_mode;                // "", "v1", "v2" (see DetectFeatures)
  std::string cgroup_parent = "runlet";   // per-sandbox cgroups live under this name
  // Sandboxes prepared ahead per kind of run (rootfs and disk size): namespaces, mounts
  // and cgroup ready before a run asks, so a run pays only for its own program. 0 = none
  // (CLI). Each holds a slot, which every runlet on the host shares, so the pool is
  // bounded: at most `pool_total` prepared at once, for at most pool_total / pool_size
  // kinds. A kind seen once is prepared for only while there is room; one seen again
  // (among the last 64 kinds asked for) takes the place of the least recently used.
  int pool_size = 0;
  int pool_total = 8;
  // When what crashed runs left (cgroups, processes) is removed: in Create, or in the
  // first Run, while that run's init makes its namespaces (a one-shot `runlet exec`,
  // whose start-up it would lengthen).
  bool recover_in_first_run = false;
  // Host paths below /etc or /usr/local that runs on the host's toolchains see besides
  // the host view's own list (host_view.h); checked by Create.
  std::vector<std::string> host_paths;
  // A host file bound read-only at /.runlet/agent in every sandbox ("" = none): the
  // workspace agent (workspaces/agent_main.cpp), which workspaces run as their program.
  std::string agent_path;
  // Whether sandboxes are cloned from a small helper process forked at Create (zygote.h)
  // rather than from the calling process: the way for a long-lived process that grows (a
  // server), whose every clone would copy its page tables. A one-shot CLI does without.
  bool zygote = true;
  // What the zygote executes: the static `runlet-zygote` (src/cli/zygote_main.cpp), whose
  // memory map is smaller still. "": the one beside this process's binary if it is there,
  // else the zygote stays a copy of this process.
  std::string zygote_program;
};

// A command run before the main one in the same sandbox (e.g. a compiler): what it leaves
// in /work and /tmp stays for the next; its stdin is /dev/null; everything else it left
// running is killed when it ends.
struct Step {
  std::vector<std::string> argv;
  std::vector<std::string> env;
  Limits limits;  // the disk limits of the main command apply to the shared file systems
};

struct RunSpec {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH unless it has a '/'
  std::vector<std::string> env;   // "KEY=VALUE", over PATH, HOME=/tmp, LANG=C.UTF-8
  std::string rootfs = "/";       // "/" = the host's toolchains, read-only
  std::string files_dir;          // copied into the work directory
  std::vector<InputFile> files;   // written into the work directory
  std::string workdir = "/work";
  Limits limits;
  std::string stdin_data;  // written to the program's stdin, then EOF
  int stdin_fd = -1;       // if >= 0: forwarded to the program's stdin until EOF instead
  int cancel_fd = -1;      // if >= 0: becoming readable cancels the run
  // How much of each stream the result keeps (stdout_clipped/stderr_clipped say when
  // more came); on_output still sees everything up to the output limit.
  uint64_t keep_output_bytes = UINT64_MAX;
  // The main command's output has no limit (limits.output_bytes does not apply): for a
  // workspace's agent, whose output is every terminal's, bounded by the server instead.
  bool unbounded_output = false;

  // Steps run before the main command; the first that does not end ok ends the run:
  // the main command does not run, and its result says compile_error.
  std::vector<Step> steps_before;
  // Called when a step starts: index into steps_before, or steps_before.size() for main.
  std::function<void(size_t)> on_step;
};

using runlet::Stream;

// Called on the thread that called Run, as output arrives, never past the output limit.
using OutputFn = std::function<void(Stream, std::string_view)>;

class Sandbox {
 public:
  // Detects the host (cgroup v1/v2, kernel features), cleans what crashed runs left,
  // and makes this process non-dumpable. Fails with a message that says what the host
  // lacks and how to fix it.
  static Result<std::unique_ptr<Sandbox>> Create(const SandboxOptions& options = {});
  ~Sandbox();

  const Features& features() const;

  // Runs `spec` to completion; blocks. Errors are refusals of the spec (bad limits,
  // missing files); everything that goes wrong later is a result with status
  // internal_error. Stdout/stderr are kept in the result (up to the limit) and passed
  // to `on_output` as they come. Thread-safe: concurrent calls use distinct slots.
  // `steps_before_results`, if given, receives the result of each step before the main
  // command that ran.
  Result<RunResult> Run(const RunSpec& spec, const OutputFn& on_output = {},
                        std::vector<RunResult>* steps_before_results = nullptr);

  // With a pool (SandboxOptions::pool_size > 0): waits until a sandbox prepared for runs
  // like `spec` (same rootfs and disk limits; the pool learns of them from Run) is ready,
  // so that the next such Run pays only for its own program. False on timeout, or at once
  // without a pool.
  bool WaitUntilPrepared(const RunSpec& spec, std::chrono::milliseconds timeout);

  // How many sandboxes are prepared and waiting now, of every kind together.
  size_t PreparedCount();

 private:
  struct Impl;
  explicit Sandbox(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace runlet::sandbox
