// The life of runs: queued -> building -> running -> one final status, persisted at
// every step; bounded capacity and queue, per-user concurrency quota, one active run
// per project (a new one supersedes the old), stop, crash recovery. Queued runs start
// round-robin across users (each user's own in order), and no user executes more
// than Options::user_executing_runs at once, so one user's backlog delays another's
// run by at most one of their runs; output split into
// line entries with gapless sequence numbers, stored durably, with watchers woken as
// entries and status changes land.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "platform/platform_set.h"
#include "runtime/job.h"
#include "store/store.h"

namespace runlet::runs {

struct RunRequest {
  int64_t user_id = 0;
  std::string project_id;  // "" for stateless executions
  std::string version_id;
  std::string runtime_id;
  runtime::Job job;
  // Interactive: stdin stays open after job.stdin_data for SendInput, until CloseInput.
  bool interactive = false;
  // Interactive runs: stopped (cancelled, reason "idle") after this long with neither
  // input nor output; 0: never.
  std::chrono::milliseconds idle_limit{0};
  // The user's quota; 0: none beyond Options. concurrent_runs bounds their queued and
  // executing runs together (0: Options::user_concurrent_runs; more are refused);
  // memory_bytes and cpus bound their executing runs together (a run waits in the
  // queue until there is room).
  struct Quota {
    int concurrent_runs = 0;
    uint64_t memory_bytes = 0;  // sum of the run steps' memory limits
    double cpus = 0;            // sum of the run steps' CPU bandwidth
  } quota;
};

struct Options {
  int capacity = 2;                // runs executing at once
  int queue_limit = 64;            // runs waiting beyond that; more are refused (503)
  int user_concurrent_runs = 16;   // a user's queued + executing runs (429 beyond)
  // A user's executing runs at most (0: capacity - 1, at least 1): the rest of the
  // capacity stays free for other users' runs.
  int user_executing_runs = 0;
  int keep_runs_per_project = 50;  // older finished runs of a project are pruned
  std::chrono::milliseconds log_flush_interval{50};
  // An unfinished line (a prompt) older than this reaches live watchers as it is
  // (LiveView::partial); the store gets it only once it ends (newline, input, exit).
  std::chrono::milliseconds partial_line_delay{100};
  // How often finished stateless runs past the StoragePolicy are looked for.
  std::chrono::milliseconds prune_interval{60000};
  // How much of each output stream an execute run's result keeps (its stdout, stderr;
  // stdout_clipped/stderr_clipped say when there was more). The log keeps everything;
  // project runs keep none in their result. Bounds the server's memory per run.
  uint64_t result_output_bytes = 1ull << 20;

  // Several servers on one PostgreSQL (`runlet serve --cluster`): this server's id
  // (unique among them, e.g. host:pid:start). "" (the default): one server, its queue in
  // memory. With an id, runs wait in the database's shared queue (Store::EnqueueRun) and
  // any server with room claims them; a claimed run holds a lease this server renews
  // every `heartbeat`; a run whose lease ran out (its server died) ends as internal_error
  // (reason server_restart) at the next sweep of any server; stops reach the server
  // executing the run through the queue (polled every `poll`), and watchers of a run
  // executing elsewhere are woken every `poll` to read the store.
  std::string server_id;
  std::chrono::milliseconds lease{15000};
  std::chrono::milliseconds heartbeat{5000};
  std::chrono::milliseconds poll{50};
};

// What the server keeps of runs; the admin changes it at run time (SetStoragePolicy).
struct StoragePolicy {
  // A run's log keeps at most this much (text plus one byte per line); then a marker
  // entry says it was cut, and the result says log_truncated. 0: no bound.
  uint64_t log_bytes_per_run = 4ull << 20;
  // Finished stateless (execute) runs are deleted, with their logs, after this many
  // days (0: kept whatever their age) and beyond each user's newest this many (0: no
  // count bound).
  double execute_keep_days = 7;
  int execute_keep_per_user = 1000;
};

// One log entry of an active run, shared by all its watchers (RunManager::ReadLive),
// with the text a watcher sends for it (an SSE event) made once for all of them.
class LiveEntry {
 public:
  using RenderFn = std::string (*)(const store::LogEntry&);
  explicit LiveEntry(store::LogEntry entry) : entry_(std::move(entry)) {}
  const store::LogEntry& entry() const { return entry_; }
  // render(entry()) made by the first caller, the same text for every later one (which
  // waits while it is made). Every caller passes the same function. Thread-safe.
  const std::string& Rendered(RenderFn render) const {
    std::call_once(rendered_once_, [&] { rendered_ = render(entry_); });
    return rendered_;
  }

 private:
  store::LogEntry entry_;
  mutable std::once_flag rendered_once_;
  mutable std::string rendered_;
};

// An active run as its watchers see it, from memory (RunManager::ReadLive).
struct LiveView {
  RunStatus status = RunStatus::kQueued;
  std::vector<std::shared_ptr<const LiveEntry>> entries;
  // When `entries` reach the newest stored entry: each stream's unfinished last line,
  // once it has waited Options::partial_line_delay (a prompt waiting for input). Its
  // text ends up in the next entry of that stream; "" when there is none.
  std::string partial[2];  // [0] stdout, [1] stderr
};

struct Stats {
  int executing = 0;
  int queued = 0;
};

class RunManager {
 public:
  // Marks runs that a previous process left unfinished as cancelled (server_restart)
  // and starts `options.capacity` worker threads. Each run goes to the platform that
  // `platforms` chooses for its job when it is queued (RunRecord::platform says which).
  RunManager(store::Store& store, platform::PlatformSet& platforms, Options options);
  ~RunManager();  // Shutdown() with no grace

  // Queues a run. Errors: kTooMany (user quota: their queued and executing runs, or a
  // run larger than their memory or CPU quota), kUnavailable (queue full, or its
  // runtime names a platform this server does not have), kInternal.
  // A queued or executing run of the same project is cancelled with reason superseded.
  Result<store::RunRecord> Submit(RunRequest request);
  // Cancels a queued or executing run (reason user, superseded, ttl...). kNotFound if
  // the run is unknown, kConflict if it has already finished.
  Status Stop(const std::string& run_id, const std::string& reason);

  // Calls `wake` (on any thread; it must not block) whenever the run's log or status
  // changes. Returns an id for Unwatch. Waking is a hint: re-read (ReadLive, else the
  // store).
  uint64_t Watch(const std::string& run_id, std::function<void()> wake);
  void Unwatch(uint64_t watch_id);
  // An active run's status and its log entries after seq `after` (at most `limit`, and
  // no more once their texts reach `max_bytes`), from the recent entries the manager
  // keeps in memory for its watchers: one copy for all of them, no store read. nullopt
  // when the run is not active here (finished, or unknown) or `after` is older than
  // what memory holds: then read the store. Entries are those already in the store.
  std::optional<LiveView> ReadLive(const std::string& run_id, int64_t after, int limit, size_t max_bytes) const;
  void SetStoragePolicy(const StoragePolicy& policy);
  // Passes `data` to an interactive run's stdin, after ending the unfinished output
  // lines as entries (so the log keeps a prompt before what the answer prints). kConflict if the run is not interactive
  // or its stdin is closed, kTooMany if the program is not reading (its pipe is full).
  Status SendInput(const std::string& run_id, std::string_view data);
  Status CloseInput(const std::string& run_id);
  // Calls `fn` with the run's raw output as it comes (on a worker thread; it must not
  // block). Returns an id for Unsubscribe; 0 if the run is not executing or queued.
  uint64_t SubscribeOutput(const std::string& run_id, std::function<void(Stream, std::string_view)> fn);
  void Unsubscribe(uint64_t id);

  // Calls `done` once with the final record, at once if the run has already finished.
  void OnFinished(const std::string& run_id, std::function<void(const store::RunRecord&)> done);

  // Refuses new runs, cancels queued ones and, after `grace`, the executing ones
  // (reason server_restart); returns when every worker has stopped.
  void Shutdown(std::chrono::milliseconds grace);
  // Stops claiming runs from the shared queue (a server about to stop: SIGTERM); its
  // executing runs go on. draining() says so (health checks answer 503).
  void Drain();
  bool draining() const;
  Stats GetStats() const;
  // What `user_id`'s queued and executing runs hold now: runs counts both, memory and
  // cpus the executing ones (their quota's measures).
  RunRequest::Quota UsageOf(int64_t user_id) const;
  int64_t seconds_up() const;

  // Observers for metrics: a run reached a final status after `duration`.
  std::function<void(const store::RunRecord&, std::chrono::milliseconds duration)> on_final;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace runlet::runs
