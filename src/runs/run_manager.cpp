#include "runs/run_manager.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "core/log.h"
#include "core/unique_fd.h"
#include "runs/log_writer.h"
#include "runs/request_codec.h"

namespace runlet::runs {
namespace {

using Clock = std::chrono::steady_clock;

// Output held for the store before a flush, whatever the interval.
constexpr size_t kMaxPendingBytes = 1 << 20;
constexpr size_t kMaxPendingEntries = 4096;
// Recent entries of an active run kept in memory for its watchers.
constexpr size_t kTailEntries = 4096;
constexpr size_t kTailBytes = 1 << 20;
// How often an idle server with room looks into the shared queue for runs submitted to
// other servers (a run submitted to this one is claimed at once).
constexpr std::chrono::milliseconds kIdleClaimInterval{200};

}  // namespace

struct RunManager::Impl {
  struct Run {
    store::RunRecord record;
    RunRequest request;
    UniqueFd cancel{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
    std::string cancel_reason;  // set once a stop was asked
    bool executing = false;
    UniqueFd stdin_read, stdin_write;  // interactive runs; guarded by mu
    std::map<uint64_t, std::function<void(Stream, std::string_view)>> output_subscribers;  // guarded by mu
    // Output not yet in the store, and the newest entries that are; guarded by log_mu.
    std::mutex log_mu;
    LogWriter writer;
    std::vector<store::LogEntry> pending;
    size_t pending_bytes = 0;
    Clock::time_point last_flush = Clock::now();
    uint64_t log_bytes = 0;      // counted against the policy's log_bytes_per_run
    bool log_truncated = false;  // the marker is written; later output is not logged
    std::deque<std::shared_ptr<const LiveEntry>> tail;
    size_t tail_bytes = 0;
    int64_t flushed_seq = 0;                 // the last seq in the store
    RunStatus live_status = RunStatus::kQueued;
    uint64_t log_limit = 0;                  // the policy's log_bytes_per_run at the start
    Clock::time_point partial_since[2];      // when each stream's unfinished line began
    std::string partial_woken[2];            // the unfinished lines watchers were woken for
    Clock::time_point last_activity;         // start, last output or input (idle_limit)
    // Shared queue: an interactive run kept here (its stdin is here) until this server
    // claims it; a stop request already passed on. Guarded by mu.
    bool awaiting_claim = false;
    bool stop_forwarded = false;
  };

  // Stream `i`'s unfinished line if watchers may see it now (caller holds run.log_mu).
  const std::string* VisiblePartialLocked(const Run& run, int i, Clock::time_point now) const {
    const std::string& text = run.writer.partial(i == 0 ? Stream::kStdout : Stream::kStderr);
    if (text.empty() || run.log_truncated || now - run.partial_since[i] < options.partial_line_delay) return nullptr;
    return &text;
  }

  // Ends the unfinished lines as entries and stores them, so that what comes next
  // (output after an answer) starts a line of its own; wakes the watchers.
  void EndPartialLines(const std::shared_ptr<Run>& run) {
    {
      std::lock_guard lock(run->log_mu);
      if (run->writer.partial(Stream::kStdout).empty() && run->writer.partial(Stream::kStderr).empty()) return;
      AddOutputLocked(*run, Stream::kStdout, {}, run->log_limit, true);
      FlushLocked(*run);
      run->partial_woken[0].clear();
      run->partial_woken[1].clear();
    }
    Wake(run->record.id);
  }

  store::Store& store;
  platform::PlatformSet& platforms;
  Options options;
  RunManager* owner;
  const Clock::time_point started = Clock::now();

  mutable std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  // Queued runs: each user's in order, and the users who have some, in turn order.
  std::map<int64_t, std::deque<std::string>> queued_by_user;
  std::deque<int64_t> turns;
  int queued = 0;
  std::map<std::string, std::shared_ptr<Run>> runs;  // queued or executing
  std::map<std::string, std::string> by_project;     // project -> its active run
  // What each user holds: runs queued or executing; memory and CPUs of the executing.
  struct Usage {
    int runs = 0;
    int executing = 0;
    uint64_t memory_bytes = 0;
    double cpus = 0;
  };
  std::map<int64_t, Usage> per_user;
  int executing = 0;
  uint64_t next_watch = 1;
  std::map<std::string, std::map<uint64_t, std::function<void()>>> watchers;  // by run
  std::map<uint64_t, std::string> watched;                                   // watch -> run
  StoragePolicy policy;        // guarded by mu
  bool policy_set = false;     // no pruning before the owner's policy is known
  std::map<std::string, std::vector<std::function<void(const store::RunRecord&)>>> waiters;
  // What the watchers of each run executing on another server were last woken for
  // (WakeRemote, on the claimer's thread only).
  struct RemoteSeen {
    int64_t seq = 0;
    RunStatus status = RunStatus::kQueued;
    bool known = false;
  };
  std::map<std::string, RemoteSeen> remote_seen;
  std::map<uint64_t, std::string> subscriptions;  // output subscription -> run
  std::vector<std::thread> workers;
  std::thread flusher;
  std::condition_variable flusher_cv;
  // The shared queue (options.server_id set): the thread that claims, renews leases and
  // polls; woken early to claim (claim_now) or to end (claimer_stop). Guarded by mu.
  std::thread claimer;
  std::condition_variable claimer_cv;
  bool claim_now = true;
  bool claimer_stop = false;
  bool draining = false;

  bool shared() const { return !options.server_id.empty(); }

  Impl(store::Store& s, platform::PlatformSet& p, Options o, RunManager* m)
      : store(s), platforms(p), options(o), owner(m) {
    if (options.user_executing_runs <= 0) options.user_executing_runs = std::max(1, options.capacity - 1);
  }

  void EnqueueLocked(const std::shared_ptr<Run>& run) {
    auto& mine = queued_by_user[run->record.user_id];
    if (mine.empty()) turns.push_back(run->record.user_id);
    mine.push_back(run->record.id);
    ++queued;
  }

  // Takes a queued run out of the queue (false: it was not queued).
  bool DequeueLocked(const std::string& run_id, int64_t user_id) {
    auto it = queued_by_user.find(user_id);
    if (it == queued_by_user.end()) return false;
    auto q = std::find(it->second.begin(), it->second.end(), run_id);
    if (q == it->second.end()) return false;
    it->second.erase(q);
    --queued;
    if (it->second.empty()) {
      queued_by_user.erase(it);
      turns.erase(std::find(turns.begin(), turns.end(), user_id));
    }
    return true;
  }

  // The next run to start: the first user in turn order who is below their share of
  // the capacity and whose quota leaves room for their oldest queued run. That user
  // goes to the back of the order. nullptr when none may start now.
  std::shared_ptr<Run> PickLocked() {
    for (auto user = turns.begin(); user != turns.end(); ++user) {
      auto& mine = queued_by_user[*user];
      const std::shared_ptr<Run>& run = runs[mine.front()];
      const Usage& usage = per_user[*user];
      const auto& quota = run->request.quota;
      const Limits& limits = run->request.job.run.limits;
      if (usage.executing >= options.user_executing_runs) continue;
      if (usage.executing > 0 && quota.memory_bytes > 0 && usage.memory_bytes + limits.memory_bytes > quota.memory_bytes) continue;
      if (usage.executing > 0 && quota.cpus > 0 && usage.cpus + limits.cpus > quota.cpus + 1e-9) continue;
      std::shared_ptr<Run> picked = run;
      const int64_t id = *user;
      mine.pop_front();
      --queued;
      turns.erase(user);
      if (mine.empty()) {
        queued_by_user.erase(id);
      } else {
        turns.push_back(id);
      }
      return picked;
    }
    return nullptr;
  }

  void Wake(const std::string& run_id) {
    std::vector<std::function<void()>> fns;
    {
      std::lock_guard lock(mu);
      auto it = watchers.find(run_id);
      if (it != watchers.end()) {
        fns.reserve(it->second.size());
        for (auto& [id, fn] : it->second) fns.push_back(fn);
      }
    }
    for (auto& fn : fns) fn();
  }

  void Persist(Run& run) {
    if (auto st = store.UpdateRun(run.record); !st) {
      // The run goes on; a later update may succeed. Nothing else to do from here.
    }
  }

  // Writes pending log entries to the store and moves them to the tail that watchers
  // read (caller holds run.log_mu).
  void FlushLocked(Run& run) {
    if (run.pending.empty()) return;
    (void)store.AppendLogs(run.record.id, run.pending);
    run.flushed_seq = run.pending.back().seq;
    for (auto& e : run.pending) {
      run.tail_bytes += e.text.size();
      run.tail.push_back(std::make_shared<const LiveEntry>(std::move(e)));
    }
    while (!run.tail.empty() && (run.tail.size() > kTailEntries || run.tail_bytes > kTailBytes)) {
      run.tail_bytes -= run.tail.front()->entry().text.size();
      run.tail.pop_front();
    }
    run.pending.clear();
    run.pending_bytes = 0;
    run.last_flush = Clock::now();
  }

  // Adds output to the run's pending entries, within the policy's log bound: the entry
  // that would cross it becomes a marker saying so, and nothing more is logged.
  // With `finish`, the unfinished last line of each stream instead.
  void AddOutputLocked(Run& run, Stream stream, std::string_view data, uint64_t log_limit, bool finish = false) {
    if (run.log_truncated) return;
    const size_t first = run.pending.size();
    if (finish) {
      run.writer.Finish(run.pending);
    } else {
      run.writer.Add(stream, data, run.pending);
    }
    for (size_t i = first; i < run.pending.size(); ++i) {
      const uint64_t cost = run.pending[i].text.size() + 1;
      if (log_limit > 0 && run.log_bytes + cost > log_limit) {
        auto& marker = run.pending[i];  // keeps its seq: the log stays gapless
        marker.stream = Stream::kStderr;
        marker.text = "[runlet] this run's log was cut here: it reached the server's limit of " +
                      std::to_string(log_limit) + " bytes per run; later output was not kept";
        run.pending.resize(i + 1);
        run.log_truncated = true;
        break;
      }
      run.log_bytes += cost;
      run.pending_bytes += cost;
    }
  }

  void Finalize(const std::shared_ptr<Run>& run, std::chrono::milliseconds duration) {
    run->record.finished_at = store::NowRfc3339();
    if (!run->record.project_id.empty()) {
      // Project runs keep their output in the log, not twice.
      for (RunResult* r : {&run->record.result, run->record.build ? &*run->record.build : nullptr}) {
        if (!r) continue;
        r->stdout_data.clear();
        r->stderr_data.clear();
        r->stdout_clipped = r->stderr_clipped = false;
      }
    }
    Persist(*run);
    if (shared()) (void)store.DequeueRun(run->record.id);
    std::vector<std::function<void(const store::RunRecord&)>> done;
    {
      std::lock_guard lock(mu);
      for (auto& [id, fn] : run->output_subscribers) subscriptions.erase(id);
      run->output_subscribers.clear();
      run->stdin_write.Reset();
      runs.erase(run->record.id);
      auto it = by_project.find(run->record.project_id);
      if (it != by_project.end() && it->second == run->record.id) by_project.erase(it);
      auto& usage = per_user[run->record.user_id];
      if (run->executing) {
        usage.memory_bytes -= std::min(usage.memory_bytes, run->request.job.run.limits.memory_bytes);
        usage.cpus = std::max(0.0, usage.cpus - run->request.job.run.limits.cpus);
        --usage.executing;
      }
      if (--usage.runs <= 0) per_user.erase(run->record.user_id);
      auto w = waiters.find(run->record.id);
      if (w != waiters.end()) {
        done = std::move(w->second);
        waiters.erase(w);
      }
    }
    cv.notify_all();
    // Counted before anyone hears of the end: a client that reads /metrics right after
    // its run's answer sees the run.
    if (owner->on_final) owner->on_final(run->record, duration);
    Wake(run->record.id);
    for (auto& fn : done) fn(run->record);
    if (!run->record.project_id.empty()) {
      (void)store.PruneRuns(run->record.project_id, options.keep_runs_per_project);
    } else {
      PruneExecuteRuns(run->record.user_id);
    }
  }

  // Deletes finished stateless runs past the storage policy (`user_id`'s, or everyone's
  // when 0).
  void PruneExecuteRuns(int64_t user_id) {
    StoragePolicy p;
    {
      std::lock_guard lock(mu);
      if (!policy_set) return;
      p = policy;
    }
    if (p.execute_keep_days <= 0 && p.execute_keep_per_user <= 0) return;
    std::string before;
    if (p.execute_keep_days > 0) {
      const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
      before = store::FormatRfc3339Ms(now - static_cast<int64_t>(p.execute_keep_days * 86400e3));
    }
    for (int round = 0; round < 100; ++round) {
      auto n = store.PruneExecuteRuns(before, p.execute_keep_per_user, user_id, 10000);
      if (!n || *n < 10000) break;
    }
  }

  void CancelQueued(const std::shared_ptr<Run>& run, const std::string& reason) {
    run->record.result.status = RunStatus::kCancelled;
    run->record.result.reason = reason;
    run->record.result.message = "cancelled before it started (" + reason + ")";
    Finalize(run, std::chrono::milliseconds(0));
  }

  void Execute(const std::shared_ptr<Run>& run) {
    const auto start = Clock::now();
    run->record.started_at = store::NowRfc3339();
    platform::JobCallbacks callbacks;
    callbacks.on_status = [&](RunStatus status) {
      run->record.result.status = status;
      {
        std::lock_guard lock(run->log_mu);
        run->live_status = status;
      }
      Persist(*run);
      Wake(run->record.id);
    };
    callbacks.stdin_fd = run->stdin_read.get();
    uint64_t log_limit;
    {
      std::lock_guard lock(mu);
      log_limit = policy.log_bytes_per_run;
    }
    {
      std::lock_guard lock(run->log_mu);
      run->log_limit = log_limit;
      run->last_activity = Clock::now();
    }
    // The log holds the whole output; the result only a bounded part of it.
    callbacks.keep_output_bytes = run->record.project_id.empty() ? options.result_output_bytes : 0;
    callbacks.on_output = [&](Stream stream, std::string_view data) {
      {
        std::lock_guard lock(mu);
        for (auto& [id, fn] : run->output_subscribers) fn(stream, data);
      }
      bool flushed = false;
      {
        std::lock_guard lock(run->log_mu);
        const int i = stream == Stream::kStdout ? 0 : 1;
        const bool had_partial = !run->writer.partial(stream).empty();
        run->last_activity = Clock::now();
        AddOutputLocked(*run, stream, data, log_limit);
        // A new unfinished line starts its wait before watchers see it.
        if (!had_partial || data.find('\n') != std::string_view::npos) run->partial_since[i] = Clock::now();
        if (run->pending.size() >= kMaxPendingEntries || run->pending_bytes >= kMaxPendingBytes ||
            Clock::now() - run->last_flush >= options.log_flush_interval) {
          FlushLocked(*run);
          flushed = true;
        }
      }
      if (flushed) Wake(run->record.id);
    };
    // Made on first use: an engine that cannot start fails this run, not the server.
    // A platform that throws fails this run with internal_error; the exception never
    // reaches the worker thread's entry, where it would end the process.
    auto result = [&]() -> Result<platform::JobResult> {
      try {
        auto platform = platforms.Get(run->record.platform);
        if (!platform) return tl::unexpected(platform.error());
        return (*platform)->Run(run->request.job, callbacks, run->cancel.get());
      } catch (const std::exception& e) {
        Log("error", "a platform failed a run", {{"run", run->record.id}, {"error", e.what()}});
        return Fail(std::string("the platform failed: ") + e.what());
      }
    }();
    bool log_truncated;
    {
      std::lock_guard lock(run->log_mu);
      AddOutputLocked(*run, Stream::kStdout, {}, log_limit, true);
      FlushLocked(*run);
      log_truncated = run->log_truncated;
    }
    std::string reason;
    {
      std::lock_guard lock(mu);
      reason = run->cancel_reason;
    }
    if (!result) {
      run->record.result.status = RunStatus::kInternalError;
      run->record.result.message = result.error().message;
    } else {
      run->record.result = std::move(result->run);
      run->record.build = std::move(result->build);
    }
    run->record.result.limits = run->request.job.run.limits;
    if (run->record.build && run->request.job.build) run->record.build->limits = run->request.job.build->limits;
    if (run->record.result.status == RunStatus::kCancelled) run->record.result.reason = reason.empty() ? "user" : reason;
    if (run->record.result.status == RunStatus::kCancelled && reason == "idle") {
      run->record.result.message = "stopped: no input and no output for " +
                                   std::to_string(run->request.idle_limit.count() / 1000) + " s";
    }
    run->record.log_truncated = log_truncated;
    Finalize(run, std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start));
  }

  void Worker() {
    for (;;) {
      std::shared_ptr<Run> run;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return stopping || (run = PickLocked()) != nullptr; });
        if (!run) return;  // stopping
        run->executing = true;
        ++executing;
        auto& usage = per_user[run->record.user_id];
        ++usage.executing;
        usage.memory_bytes += run->request.job.run.limits.memory_bytes;
        usage.cpus += run->request.job.run.limits.cpus;
      }
      Execute(run);
      {
        std::lock_guard lock(mu);
        --executing;
        claim_now = true;
      }
      cv.notify_all();
      claimer_cv.notify_all();
    }
  }

  // ---- The shared queue of several servers (options.server_id) ----

  // Claims runs while there is room, renews this server's leases and ends the runs of
  // servers whose leases ran out (every heartbeat), passes stop requests on to the runs
  // executing here and wakes the watchers and waiters of runs executing elsewhere
  // (every poll).
  void Claimer() {
    auto next_heartbeat = Clock::now();
    auto next_claim = Clock::now();
    bool claim_failed = false;
    std::unique_lock lock(mu);
    while (!claimer_stop) {
      const bool room = !stopping && !draining && executing + queued < std::max(1, options.capacity);
      const bool claim = room && (claim_now || Clock::now() >= next_claim);
      claim_now = false;
      lock.unlock();
      if (claim) {
        auto claimed = store.ClaimRun(options.server_id, {options.user_executing_runs, options.lease.count()});
        if (!claimed) {
          if (!claim_failed) Log("error", "claiming a run from the shared queue failed", {{"error", claimed.error().message}});
          claim_failed = true;
        } else {
          claim_failed = false;
        }
        if (claimed && *claimed) {
          Adopt(**claimed);
          lock.lock();
          claim_now = true;  // room for more?
          continue;
        }
        next_claim = Clock::now() + kIdleClaimInterval;
      }
      if (Clock::now() >= next_heartbeat) {
        next_heartbeat = Clock::now() + options.heartbeat;
        Heartbeat();
      }
      ForwardStops();
      WakeRemote();
      lock.lock();
      if (claimer_stop) break;
      claimer_cv.wait_for(lock, options.poll, [&] { return claimer_stop || claim_now; });
    }
  }

  // A run this server claimed: into the local queue (a worker is free).
  void Adopt(const store::QueuedRun& q) {
    std::shared_ptr<Run> run;
    {
      std::lock_guard lock(mu);
      auto it = runs.find(q.run_id);
      if (it != runs.end() && it->second->awaiting_claim) {
        if (stopping) {
          (void)store.RequeueRun(options.server_id, q.run_id);  // Shutdown ends it
          return;
        }
        run = it->second;
        run->awaiting_claim = false;
        EnqueueLocked(run);
      }
    }
    if (run) {
      cv.notify_all();
      return;
    }
    auto record = store.GetRun(q.run_id);
    auto request = DecodeRequest(q.request);
    if (!record || !*record || !request) {
      if (record && *record && !IsFinal((**record).result.status)) {
        auto& r = **record;
        r.result.status = RunStatus::kInternalError;
        r.result.message = "this server could not read the queued run: " +
                           (request ? std::string("its record is unreadable") : request.error().message);
        r.finished_at = store::NowRfc3339();
        (void)store.UpdateRun(r);
      }
      (void)store.DequeueRun(q.run_id);
      return;
    }
    run = std::make_shared<Run>();
    run->record = std::move(**record);
    run->request = std::move(*request);
    {
      std::lock_guard lock(mu);
      if (stopping) {
        (void)store.RequeueRun(options.server_id, q.run_id);  // another server's now
        return;
      }
      runs[run->record.id] = run;
      if (!run->record.project_id.empty()) by_project[run->record.project_id] = run->record.id;
      per_user[run->record.user_id].runs += 1;
      EnqueueLocked(run);
    }
    cv.notify_all();
  }

  void Heartbeat() {
    (void)store.HeartbeatRuns(options.server_id, options.lease.count());
    auto expired = store.TakeExpiredRuns();
    if (!expired) return;
    for (const auto& q : *expired) {
      {
        std::lock_guard lock(mu);
        if (runs.count(q.run_id)) continue;  // this server's, late with its lease: it ends it
      }
      auto record = store.GetRun(q.run_id);
      if (!record || !*record || IsFinal((**record).result.status)) continue;
      auto& r = **record;
      r.result.status = RunStatus::kInternalError;
      r.result.reason = "server_restart";
      r.result.message = q.owner.empty()
                             ? "the server holding this interactive run (" + q.pinned +
                                   ") stopped renewing its lease before the run started: it died or lost the database"
                             : "the server executing this run (" + q.owner +
                                   ") stopped renewing its lease: it died or lost the database, and the run with it";
      r.finished_at = store::NowRfc3339();
      (void)store.UpdateRun(r);
      Log("warn", "a run of a lost server ended", {{"run", q.run_id}, {"server", q.owner.empty() ? q.pinned : q.owner}});
    }
  }

  void ForwardStops() {
    {
      std::lock_guard lock(mu);
      if (std::none_of(runs.begin(), runs.end(), [](const auto& r) { return !r.second->awaiting_claim; })) return;
    }
    auto stops = store.StopRequests(options.server_id);
    if (!stops) return;
    for (const auto& [id, reason] : *stops) {
      {
        std::lock_guard lock(mu);
        auto it = runs.find(id);
        if (it == runs.end() || it->second->awaiting_claim || it->second->stop_forwarded) continue;
        it->second->stop_forwarded = true;
      }
      (void)owner->Stop(id, reason);
    }
  }

  // Watchers of runs not here read the store when woken, so they are woken only when the
  // run has news: one look per run (its status and whether an entry follows the last one
  // seen), not a read per watcher every poll. Waiters get the final record.
  void WakeRemote() {
    std::map<std::string, std::vector<std::function<void()>>> fns;
    std::vector<std::string> waiting;
    {
      std::lock_guard lock(mu);
      for (const auto& [id, ws] : watchers) {
        if (runs.count(id)) continue;
        for (const auto& [wid, fn] : ws) fns[id].push_back(fn);
      }
      for (const auto& [id, w] : waiters) {
        if (!runs.count(id)) waiting.push_back(id);
      }
    }
    std::erase_if(remote_seen, [&](const auto& seen) { return !fns.count(seen.first); });
    for (auto& [id, wake] : fns) {
      auto header = store.GetRunHeader(id);
      // (Up to the newest entry, within a bound: only when there is news is more read.)
      auto next = store.ReadLogs(id, remote_seen[id].seq, 10000, 256 << 10);
      if (!header || !next) {  // the store did not answer: let the watchers try
        for (auto& fn : wake) fn();
        continue;
      }
      RemoteSeen now{remote_seen[id].seq, *header ? (**header).result.status : RunStatus::kInternalError, true};
      if (!next->empty()) now.seq = next->back().seq;
      const RemoteSeen before = remote_seen[id];
      remote_seen[id] = now;
      if (before.known && now.seq == before.seq && now.status == before.status) continue;
      for (auto& fn : wake) fn();
    }
    for (const auto& id : waiting) {
      auto header = store.GetRunHeader(id);
      if (!header || (*header && !IsFinal((**header).result.status))) continue;
      auto record = store.GetRun(id);
      if (!record) continue;
      std::vector<std::function<void(const store::RunRecord&)>> done;
      {
        std::lock_guard lock(mu);
        if (runs.count(id)) continue;
        auto w = waiters.find(id);
        if (w == waiters.end()) continue;
        done = std::move(w->second);
        waiters.erase(w);
      }
      if (*record) {
        for (auto& fn : done) fn(**record);
      }
    }
  }

  Result<store::RunRecord> SubmitShared(const std::shared_ptr<Run>& run) {
    const auto& quota = run->request.quota;
    const Limits& limits = run->request.job.run.limits;
    {
      std::lock_guard lock(mu);
      if (stopping || draining) return Fail(ErrorKind::kUnavailable, "the server is shutting down");
    }
    if (quota.memory_bytes > 0 && limits.memory_bytes > quota.memory_bytes) {
      return Fail(ErrorKind::kTooMany, "the run's memory limit " + std::to_string(limits.memory_bytes >> 20) +
                                            " MiB is above your quota of " + std::to_string(quota.memory_bytes >> 20) + " MiB");
    }
    if (quota.cpus > 0 && limits.cpus > quota.cpus + 1e-9) {
      return Fail(ErrorKind::kTooMany, "the run's " + std::to_string(limits.cpus) + " CPUs are above your quota of " +
                                            std::to_string(quota.cpus) + " CPUs");
    }
    // The project's active runs (on any server) are superseded.
    std::vector<std::string> previous;
    if (!run->record.project_id.empty()) {
      if (auto recent = store.ListRuns(run->record.project_id, 5)) {
        for (const auto& r : *recent) {
          if (!IsFinal(r.result.status)) previous.push_back(r.id);
        }
      }
    }
    store::QueuedRun entry;
    entry.run_id = run->record.id;
    entry.user_id = run->record.user_id;
    entry.project_id = run->record.project_id;
    entry.request = EncodeRequest(run->request);
    entry.memory_bytes = limits.memory_bytes;
    entry.cpus = limits.cpus;
    entry.quota_memory_bytes = quota.memory_bytes;
    entry.quota_cpus = quota.cpus;
    if (run->request.interactive) entry.pinned = options.server_id;  // its stdin is here
    store::EnqueueLimits admit;
    admit.user_runs = quota.concurrent_runs > 0 ? quota.concurrent_runs : options.user_concurrent_runs;
    admit.queue_limit = options.queue_limit;
    if (!previous.empty()) admit.superseding = previous.front();
    const store::RunRecord created = run->record;
    if (auto st = store.EnqueueRun(created, entry, admit); !st) return tl::unexpected(st.error());
    if (run->request.interactive) {
      std::lock_guard lock(mu);
      run->awaiting_claim = true;
      runs[run->record.id] = run;
      if (!run->record.project_id.empty()) by_project[run->record.project_id] = run->record.id;
      per_user[run->record.user_id].runs += 1;
    }
    for (const auto& id : previous) (void)owner->Stop(id, "superseded");
    {
      std::lock_guard lock(mu);
      claim_now = true;
    }
    claimer_cv.notify_all();
    return created;
  }

  // Stops a run through the shared queue: one nobody claimed ends here, one executing
  // on a server (this one or another) gets a request that server passes on.
  Status StopShared(const std::string& run_id, const std::string& reason) {
    auto outcome = store.RequestStop(run_id, reason);
    if (!outcome) return tl::unexpected(outcome.error());
    if (*outcome == store::Store::StopOutcome::kRequested) return {};
    if (*outcome == store::Store::StopOutcome::kWasQueued) {
      std::shared_ptr<Run> local;
      {
        std::lock_guard lock(mu);
        auto it = runs.find(run_id);
        if (it != runs.end()) {
          local = it->second;
          local->awaiting_claim = false;
          if (local->cancel_reason.empty()) local->cancel_reason = reason;
        }
      }
      if (local) {
        CancelQueued(local, reason);
        return {};
      }
      auto record = store.GetRun(run_id);
      if (record && *record) {
        auto& r = **record;
        r.result.status = RunStatus::kCancelled;
        r.result.reason = reason;
        r.result.message = "cancelled before it started (" + reason + ")";
        r.finished_at = store::NowRfc3339();
        (void)store.UpdateRun(r);
      }
      return {};
    }
    auto stored = store.GetRun(run_id);
    if (stored && *stored) {
      if (IsFinal((**stored).result.status)) return Fail(ErrorKind::kConflict, "the run has already finished");
      return {};  // ending now
    }
    return Fail(ErrorKind::kNotFound, "no run " + run_id);
  }

  void Flusher() {
    std::unique_lock lock(mu);
    auto next_prune = Clock::now();
    while (!stopping || executing > 0 || queued > 0) {
      flusher_cv.wait_for(lock, options.log_flush_interval);
      if (Clock::now() >= next_prune && !stopping) {
        next_prune = Clock::now() + options.prune_interval;
        lock.unlock();
        PruneExecuteRuns(0);
        lock.lock();
      }
      std::vector<std::shared_ptr<Run>> active;
      for (auto& [id, run] : runs) {
        if (run->executing) active.push_back(run);
      }
      lock.unlock();
      const auto now = Clock::now();
      for (auto& run : active) {
        bool flushed = false;
        bool idle = false;
        {
          std::lock_guard log_lock(run->log_mu);
          const auto idle_limit = run->request.idle_limit;
          idle = run->request.interactive && idle_limit.count() > 0 && now - run->last_activity > idle_limit;
          if (!run->pending.empty()) {
            FlushLocked(*run);
            flushed = true;
          }
          // An unfinished line that has waited long enough (or changed since): wake
          // the watchers to show it.
          for (int i = 0; i < 2; ++i) {
            const std::string* partial = VisiblePartialLocked(*run, i, now);
            const std::string& shown = partial ? *partial : std::string();
            if (partial && shown != run->partial_woken[i]) flushed = true;
            run->partial_woken[i] = shown;
          }
        }
        if (flushed) Wake(run->record.id);
        if (idle) (void)owner->Stop(run->record.id, "idle");
      }
      lock.lock();
      if (stopping && executing == 0 && queued == 0) break;
    }
  }
};

RunManager::RunManager(store::Store& store, platform::PlatformSet& platforms, Options options)
    : impl_(std::make_unique<Impl>(store, platforms, options, this)) {
  // A run left unfinished by a previous process is over: no sandbox of it survives
  // (the sandbox dies with its supervisor). Several servers: other servers' runs are
  // not; those of dead ones end when their leases run out.
  auto unfinished = impl_->shared() ? Result<std::vector<store::RunRecord>>() : store.ListUnfinishedRuns();
  if (unfinished) {
    for (auto& run : *unfinished) {
      run.result.status = RunStatus::kCancelled;
      run.result.reason = "server_restart";
      run.result.message = "the server restarted during the run";
      run.finished_at = store::NowRfc3339();
      (void)store.UpdateRun(run);
    }
  }
  for (int i = 0; i < std::max(1, options.capacity); ++i) {
    impl_->workers.emplace_back([this] { impl_->Worker(); });
  }
  impl_->flusher = std::thread([this] { impl_->Flusher(); });
  if (impl_->shared()) impl_->claimer = std::thread([this] { impl_->Claimer(); });
}

RunManager::~RunManager() { Shutdown(std::chrono::milliseconds(0)); }

Result<store::RunRecord> RunManager::Submit(RunRequest request) {
  auto run = std::make_shared<Impl::Run>();
  run->record.id = store::NewId();
  run->record.project_id = request.project_id;
  run->record.user_id = request.user_id;
  run->record.version_id = request.version_id;
  run->record.runtime = request.runtime_id;
  auto platform = impl_->platforms.Choose(request.job.platform);
  if (!platform) return Fail(ErrorKind::kUnavailable, "runtime " + request.runtime_id + ": " + platform.error().message);
  run->record.platform = *platform;
  run->record.result.status = RunStatus::kQueued;
  run->record.result.limits = request.job.run.limits;
  run->record.created_at = store::NowRfc3339();
  run->request = std::move(request);
  if (!run->cancel) return FailErrno("eventfd");
  if (run->request.interactive) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) return FailErrno("pipe2");
    run->stdin_read.Reset(fds[0]);
    run->stdin_write.Reset(fds[1]);
    ::fcntl(fds[1], F_SETFL, O_NONBLOCK);
  }

  if (impl_->shared()) return impl_->SubmitShared(run);
  std::shared_ptr<Impl::Run> superseded;
  const store::RunRecord created = run->record;  // the worker owns run->record once queued
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping) return Fail(ErrorKind::kUnavailable, "the server is shutting down");
    const auto& quota = run->request.quota;
    const Limits& limits = run->request.job.run.limits;
    Impl::Usage mine = impl_->per_user.count(run->record.user_id) ? impl_->per_user[run->record.user_id] : Impl::Usage{};
    std::string previous;
    if (!run->record.project_id.empty()) {
      auto it = impl_->by_project.find(run->record.project_id);
      if (it != impl_->by_project.end()) previous = it->second;
    }
    // The run this one supersedes does not count against the quota.
    if (!previous.empty() && impl_->runs.count(previous)) mine.runs -= 1;
    const int max_runs = quota.concurrent_runs > 0 ? quota.concurrent_runs : impl_->options.user_concurrent_runs;
    if (mine.runs >= max_runs) {
      return Fail(ErrorKind::kTooMany, "you already have " + std::to_string(mine.runs) +
                                            " runs queued or running (your limit is " + std::to_string(max_runs) + ")");
    }
    // Runs wait for room within the memory and CPU quotas; one larger than them never would.
    if (quota.memory_bytes > 0 && limits.memory_bytes > quota.memory_bytes) {
      return Fail(ErrorKind::kTooMany, "the run's memory limit " + std::to_string(limits.memory_bytes >> 20) +
                                            " MiB is above your quota of " + std::to_string(quota.memory_bytes >> 20) + " MiB");
    }
    if (quota.cpus > 0 && limits.cpus > quota.cpus + 1e-9) {
      return Fail(ErrorKind::kTooMany, "the run's " + std::to_string(limits.cpus) + " CPUs are above your quota of " +
                                            std::to_string(quota.cpus) + " CPUs");
    }
    if (impl_->queued >= impl_->options.queue_limit) {
      return Fail(ErrorKind::kUnavailable, "the run queue is full (" + std::to_string(impl_->options.queue_limit) +
                                               " runs waiting); try again shortly");
    }
    if (auto st = impl_->store.CreateRun(created); !st) return tl::unexpected(st.error());
    impl_->per_user[run->record.user_id].runs += 1;
    if (!previous.empty()) {
      auto it = impl_->runs.find(previous);
      if (it != impl_->runs.end()) superseded = it->second;
    }
    if (!run->record.project_id.empty()) impl_->by_project[run->record.project_id] = run->record.id;
    impl_->runs[run->record.id] = run;
    impl_->EnqueueLocked(run);
  }
  if (superseded) (void)Stop(superseded->record.id, "superseded");
  // Not every idle worker may take it (the user may be at their share): wake them all.
  impl_->cv.notify_all();
  return created;
}

Status RunManager::Stop(const std::string& run_id, const std::string& reason) {
  std::shared_ptr<Impl::Run> queued;
  if (impl_->shared()) {
    std::unique_lock lock(impl_->mu);
    auto it = impl_->runs.find(run_id);
    if (it == impl_->runs.end() || it->second->awaiting_claim) {
      lock.unlock();
      return impl_->StopShared(run_id, reason);
    }
  }
  {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->runs.find(run_id);
    if (it == impl_->runs.end()) {
      if (impl_->shared()) return {};  // it ended meanwhile
      auto stored = impl_->store.GetRun(run_id);
      if (stored && *stored) return Fail(ErrorKind::kConflict, "the run has already finished");
      return Fail(ErrorKind::kNotFound, "no run " + run_id);
    }
    auto& run = it->second;
    if (run->cancel_reason.empty()) run->cancel_reason = reason;
    if (run->executing) {
      const uint64_t one = 1;
      (void)!::write(run->cancel.get(), &one, sizeof one);
      return {};
    }
    // Not in the queue: another Stop is already cancelling it.
    if (!impl_->DequeueLocked(run_id, run->record.user_id)) return {};
    queued = run;
  }
  impl_->CancelQueued(queued, reason);
  return {};
}

Status RunManager::SendInput(const std::string& run_id, std::string_view data) {
  std::shared_ptr<Impl::Run> active;
  {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->runs.find(run_id);
    if (it == impl_->runs.end()) return Fail(ErrorKind::kConflict, "the run is not active");
    if (!it->second->stdin_write) return Fail(ErrorKind::kConflict, "the run's stdin is closed (start it with interactive: true)");
    active = it->second;
  }
  // The prompt the answer is for is a line of the log before anything the answer prints.
  if (!data.empty()) impl_->EndPartialLines(active);
  {
    std::lock_guard log_lock(active->log_mu);
    active->last_activity = Clock::now();
  }
  std::lock_guard lock(impl_->mu);
  auto it = impl_->runs.find(run_id);
  if (it == impl_->runs.end()) return Fail(ErrorKind::kConflict, "the run is not active");
  auto& run = it->second;
  if (!run->stdin_write) return Fail(ErrorKind::kConflict, "the run's stdin is closed (start it with interactive: true)");
  while (!data.empty()) {
    ssize_t n = ::write(run->stdin_write.get(), data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return Fail(ErrorKind::kTooMany, "the program is not reading its input");
    if (n < 0) {
      run->stdin_write.Reset();
      return Fail(ErrorKind::kConflict, "the program closed its stdin");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Status RunManager::CloseInput(const std::string& run_id) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->runs.find(run_id);
  if (it == impl_->runs.end()) return Fail(ErrorKind::kConflict, "the run is not active");
  it->second->stdin_write.Reset();
  return {};
}

uint64_t RunManager::SubscribeOutput(const std::string& run_id, std::function<void(Stream, std::string_view)> fn) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->runs.find(run_id);
  if (it == impl_->runs.end()) return 0;
  const uint64_t id = impl_->next_watch++;
  it->second->output_subscribers[id] = std::move(fn);
  impl_->subscriptions[id] = run_id;
  return id;
}

void RunManager::Unsubscribe(uint64_t id) {
  std::lock_guard lock(impl_->mu);
  auto sub = impl_->subscriptions.find(id);
  if (sub == impl_->subscriptions.end()) return;
  auto it = impl_->runs.find(sub->second);
  if (it != impl_->runs.end()) it->second->output_subscribers.erase(id);
  impl_->subscriptions.erase(sub);
}

uint64_t RunManager::Watch(const std::string& run_id, std::function<void()> wake) {
  std::lock_guard lock(impl_->mu);
  const uint64_t id = impl_->next_watch++;
  impl_->watchers[run_id][id] = std::move(wake);
  impl_->watched[id] = run_id;
  return id;
}

void RunManager::Unwatch(uint64_t watch_id) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->watched.find(watch_id);
  if (it == impl_->watched.end()) return;
  auto run = impl_->watchers.find(it->second);
  if (run != impl_->watchers.end()) {
    run->second.erase(watch_id);
    if (run->second.empty()) impl_->watchers.erase(run);
  }
  impl_->watched.erase(it);
}

std::optional<LiveView> RunManager::ReadLive(const std::string& run_id, int64_t after, int limit,
                                             size_t max_bytes) const {
  std::shared_ptr<Impl::Run> run;
  {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->runs.find(run_id);
    if (it == impl_->runs.end()) return std::nullopt;
    run = it->second;
  }
  std::lock_guard lock(run->log_mu);
  LiveView view;
  view.status = run->live_status;
  // The unfinished lines follow the entries before them, once those are all here.
  auto add_partial = [&] {
    if (!run->pending.empty()) return;
    const auto now = Clock::now();
    for (int i = 0; i < 2; ++i) {
      if (const std::string* text = impl_->VisiblePartialLocked(*run, i, now)) view.partial[i] = *text;
    }
  };
  if (after >= run->flushed_seq) {
    add_partial();
    return view;
  }
  const int64_t first = run->tail.empty() ? 0 : run->tail.front()->entry().seq;
  if (run->tail.empty() || first > after + 1) return std::nullopt;  // older: the store has it
  size_t bytes = 0;
  for (auto it = run->tail.begin() + (after + 1 - first); it != run->tail.end(); ++it) {
    if (static_cast<int>(view.entries.size()) >= limit || bytes >= max_bytes) break;
    bytes += (*it)->entry().text.size();
    view.entries.push_back(*it);
  }
  if (!view.entries.empty() && view.entries.back()->entry().seq == run->flushed_seq) add_partial();
  return view;
}

void RunManager::SetStoragePolicy(const StoragePolicy& policy) {
  std::lock_guard lock(impl_->mu);
  impl_->policy = policy;
  impl_->policy_set = true;
}

void RunManager::OnFinished(const std::string& run_id, std::function<void(const store::RunRecord&)> done) {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->runs.count(run_id)) {
      impl_->waiters[run_id].push_back(std::move(done));
      return;
    }
  }
  auto stored = impl_->store.GetRun(run_id);
  if (!stored || !*stored) return;
  if (impl_->shared() && !IsFinal((**stored).result.status)) {
    // Executing or waiting elsewhere: the claimer's poll delivers it (or Finalize, if
    // this server claims it meanwhile).
    std::lock_guard lock(impl_->mu);
    impl_->waiters[run_id].push_back(std::move(done));
    return;
  }
  done(**stored);
}

void RunManager::Shutdown(std::chrono::milliseconds grace) {
  std::vector<std::shared_ptr<Impl::Run>> queued;
  std::vector<std::shared_ptr<Impl::Run>> handed_back;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->workers.empty()) return;
    impl_->stopping = true;
    for (const auto& [user, ids] : impl_->queued_by_user) {
      for (const auto& id : ids) queued.push_back(impl_->runs[id]);
    }
    impl_->queued_by_user.clear();
    impl_->turns.clear();
    impl_->queued = 0;
    if (impl_->shared()) {
      // Claimed here but not started: back to the shared queue for the other servers
      // (interactive ones, whose stdin is here, end).
      for (auto& run : queued) {
        if (run->request.interactive) continue;
        handed_back.push_back(run);
        impl_->runs.erase(run->record.id);
        auto it = impl_->by_project.find(run->record.project_id);
        if (it != impl_->by_project.end() && it->second == run->record.id) impl_->by_project.erase(it);
        if (--impl_->per_user[run->record.user_id].runs <= 0) impl_->per_user.erase(run->record.user_id);
      }
      std::erase_if(queued, [](const auto& run) { return !run->request.interactive; });
      for (auto& [id, run] : impl_->runs) {
        if (run->awaiting_claim) queued.push_back(run);
      }
    }
  }
  for (auto& run : handed_back) (void)impl_->store.RequeueRun(impl_->options.server_id, run->record.id);
  for (auto& run : queued) impl_->CancelQueued(run, "server_restart");
  {
    std::unique_lock lock(impl_->mu);
    impl_->cv.wait_for(lock, grace, [&] { return impl_->executing == 0; });
    for (auto& [id, run] : impl_->runs) {
      if (run->executing) {
        if (run->cancel_reason.empty()) run->cancel_reason = "server_restart";
        const uint64_t one = 1;
        (void)!::write(run->cancel.get(), &one, sizeof one);
      }
    }
  }
  impl_->cv.notify_all();
  for (auto& t : impl_->workers) t.join();
  impl_->workers.clear();
  impl_->flusher_cv.notify_all();
  if (impl_->flusher.joinable()) impl_->flusher.join();
  {
    std::lock_guard lock(impl_->mu);
    impl_->claimer_stop = true;
  }
  impl_->claimer_cv.notify_all();
  if (impl_->claimer.joinable()) impl_->claimer.join();
}

void RunManager::Drain() {
  std::lock_guard lock(impl_->mu);
  impl_->draining = true;
}

bool RunManager::draining() const {
  std::lock_guard lock(impl_->mu);
  return impl_->draining || impl_->stopping;
}

RunRequest::Quota RunManager::UsageOf(int64_t user_id) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->per_user.find(user_id);
  if (it == impl_->per_user.end()) return {};
  return {it->second.runs, it->second.memory_bytes, it->second.cpus};
}

Stats RunManager::GetStats() const {
  std::lock_guard lock(impl_->mu);
  return {impl_->executing, impl_->queued};
}

int64_t RunManager::seconds_up() const {
  return std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - impl_->started).count();
}

}  // namespace runlet::runs
