#include "auth/hash_workers.h"

#include <algorithm>

namespace runlet::auth {

HashWorkers::HashWorkers(int threads, int queue) : queue_limit_(static_cast<size_t>(std::max(0, queue))) {
  for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { Work(); });
}

HashWorkers::~HashWorkers() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

bool HashWorkers::Submit(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
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
    task();
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
