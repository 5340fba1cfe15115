// Work done off the caller's path by one thread, in order: the engine platforms' removal
// of what a finished job leaves (containers, volumes, services, configs).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "core/log.h"

namespace runlet::platform {

template <typename Item>
class BackgroundQueue {
 public:
  explicit BackgroundQueue(std::function<void(Item&)> work) : work_(std::move(work)) {}
  BackgroundQueue(const BackgroundQueue&) = delete;
  BackgroundQueue& operator=(const BackgroundQueue&) = delete;
  // Does what is still queued, then stops.
  ~BackgroundQueue() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // Items pushed before Start wait for it.
  void Start() {
    thread_ = std::thread([this] { Loop(); });
  }
  void Push(Item item) {
    {
      std::lock_guard lock(mu_);
      items_.push_back(std::move(item));
    }
    cv_.notify_all();
  }
  // Blocks until everything pushed so far is done.
  void Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return items_.empty() && busy_ == 0; });
  }

 private:
  void Loop() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stopping_ || !items_.empty(); });
      if (items_.empty()) return;  // stopping, and everything queued is done
      Item item = std::move(items_.front());
      items_.pop_front();
      ++busy_;
      lock.unlock();
      try {
        work_(item);
      } catch (const std::exception& e) {
        // One item's failure; the queue's thread (and the process) goes on.
        Log("error", "a background task failed", {{"error", e.what()}});
      }
      lock.lock();
      --busy_;
      cv_.notify_all();
    }
  }

  std::function<void(Item&)> work_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> items_;
  int busy_ = 0;  // taken off the queue, not yet done
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace runlet::platform
