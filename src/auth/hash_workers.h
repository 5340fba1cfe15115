// Password hashing off the HTTP threads. One argon2id computation holds 64 MiB and tens
// of milliseconds of CPU (libsodium's interactive limits): run on the threads that serve
// HTTP, N logins at once cost N x 64 MiB and stall every connection of those threads.
// HashWorkers runs such tasks on its own few threads, with a bounded queue in front, so
// a storm of logins costs a fixed amount of memory and waits its turn (or is refused).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace runlet::auth {

class HashWorkers {
 public:
  // `threads` tasks run at once (at least 1); at most `queue` more wait for a thread.
  HashWorkers(int threads, int queue);
  // Waits for the running tasks; queued ones are dropped (destroyed, never run).
  ~HashWorkers();
  // The same, earlier: while what the tasks answer to (the HTTP server) still exists.
  // Later Submits are refused. Idempotent.
  void Stop();
  HashWorkers(const HashWorkers&) = delete;
  HashWorkers& operator=(const HashWorkers&) = delete;

  // Queues `task` to run on a worker thread. False, and `task` is never run, when
  // `queue` tasks are already waiting.
  bool Submit(std::function<void()> task);

  // Tasks running now, and the most that ever ran at once.
  int running() const;
  int peak_running() const;

 private:
  void Work();
  const size_t queue_limit_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  int running_ = 0, peak_ = 0;
  std::vector<std::thread> threads_;
  std::mutex join_mu_;  // one Stop joins at a time
};

}  // namespace runlet::auth
