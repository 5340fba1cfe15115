// The zygote: a small process, forked from the supervisor when the Sandbox is made
// (before a server grows its heap, threads and mappings), that clones each sandbox's
// init on the supervisor's behalf.
//
// Why: clone() copies the caller's page tables and memory map, init forks every program
// from its own copy again, and each copy is torn down at exit. From a grown server that
// was most of the kernel's work per run; from the zygote it is little. Nothing about the
// sandbox changes: init is the same code with the same plan, and is born with
// CLONE_PARENT, so it is the supervisor's child as before (waitpid, pidfd, SIGCHLD). Its
// parent-death signal follows the supervisor thread that forked the zygote: a thread of
// the Zygote's own, which lives as long as the Zygote object. The zygote dies with it,
// and with the supervisor.
//
// The zygote holds no file but its socket to the supervisor; each request brings the
// plan's strings, the seccomp program and the sandbox's pipes (SCM_RIGHTS), which the
// zygote closes once init has its copies. It never allocates (it is a copy of a
// multi-threaded process whose locks may be held).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/error.h"
#include "core/unique_fd.h"
#include "sandbox/child.h"

namespace runlet::sandbox {

class Zygote {
 public:
  // Forks the zygote (from a thread of its own), which executes `program` (the static
  // `runlet-zygote`, whose memory map is a fraction of a server's) if it is not empty,
  // and otherwise, or if that fails, stays a copy of this process. Fails if the kernel
  // refuses the fork.
  static Result<std::unique_ptr<Zygote>> Start(const std::string& program);
  // Ends the zygote and its thread. Sandboxes it cloned must be gone first: their
  // parent-death signal follows that thread.
  ~Zygote();

  struct Cloned {
    pid_t pid;
    UniqueFd pidfd;
  };
  // Clones init for `plan` with the namespace flags `flags` (CLONE_NEW*), born in the
  // cgroup `cgroup_fd` if it is >= 0 (CLONE_INTO_CGROUP). The plan's strings, seccomp
  // program, CPU sets and pipes (its fds, which stay the caller's) are copied to the
  // zygote; the plan's argv_area must be the supervisor's own (the zygote's copy is at the
  // same address). Thread-safe: one clone at a time. Errors: the plan does not fit a
  // request (too many mounts), the zygote is gone, or clone3's errno.
  Result<Cloned> Clone(const ChildPlan& plan, uint64_t flags, int cgroup_fd);

  pid_t pid() const { return pid_; }
  bool executed() const { return executed_; }  // runs `program`, not a copy of this one
  // False once a request found the zygote gone (killed from outside): the caller clones
  // by itself then.
  bool alive() const { return alive_; }

 private:
  Zygote() = default;
  std::mutex mu_;  // one request at a time
  UniqueFd socket_;
  pid_t pid_ = -1;
  std::atomic<bool> alive_{true};
  bool executed_ = false;
  std::thread owner_;  // forked the zygote; waits for the end (the parent of every init)
  std::mutex owner_mu_;
  std::condition_variable owner_cv_;
  bool stopping_ = false;
};

// The main function of `runlet-zygote` (src/cli/zygote_main.cpp): argv[1] is the
// supervisor's pid, fd 3 the socket. Returns only on bad arguments (status 2).
int ZygoteProgramMain(int argc, char** argv);

// `runlet-zygote` beside this process's own binary, if it is there and executable; "".
std::string ZygoteProgramBesideSelf();

}  // namespace runlet::sandbox
