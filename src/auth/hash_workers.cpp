#include "auth/hash_workers.h"

#include <algorithm>

#include "core/log.h"

namespace runlet::auth {

HashWorkers::HashWorkers(int threads, int queue) : queue_limit_(static_cast<size_t>(std::max(0, queue))) {
  for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { Work(); });
}

HashWorkers::~HashWorkers() { Stop(); }

void HashWorkers::Stop() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    dropped.swap(queue_);
  }
  dropped.clear();  // outside the lock: a task's captures may take locks of their own
  cv_.notify_all();
  std::lock_guard join(join_mu_);
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

bool HashWorkers::Submit(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    // Admitted and not finished: running + waiting, at most threads + queue.
    if (static_cast<size_t>(running_) + queue_.size() >= threads_.size() + queue_limit_) return false;
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
  return true;
}

void HashWorkers::Work() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    auto task = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    peak_ = std::max(peak_, running_);
    lock.unlock();
    try {
      task();
    } catch (const std::exception& e) {
      // A task's own failure; the worker (and the process) goes on.
      Log("error", "a worker's task failed", {{"error", e.what()}});
    } catch (...) {
      Log("error", "a worker's task failed", {{"error", "an unknown exception"}});
    }
    lock.lock();
    --running_;
  }
}

int HashWorkers::running() const {
  std::lock_guard lock(mu_);
  return running_;
}

int HashWorkers::peak_running() const {
  std::lock_guard lock(mu_);
  return peak_;
}

}  // namespace runlet::auth
