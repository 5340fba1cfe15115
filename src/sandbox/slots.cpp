#include "sandbox/slots.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>

namespace runlet::sandbox {

Status SlotAllocator::Init() {
  if (::mkdir(dir_.c_str(), 0700) < 0 && errno != EEXIST) return FailErrno("mkdir " + dir_);
  return {};
}

std::string SlotAllocator::LockPath(int index) const {
  return dir_ + "/" + std::to_string(index) + ".lock";
}

void SlotAllocator::Release(Slot slot) {
  if (slot.index < 0 || !slot.lock) return;
  std::lock_guard lock(released_->mu);
  released_->slots.push_back(std::move(slot));
}

Result<Slot> SlotAllocator::Acquire() {
  {
    std::lock_guard lock(released_->mu);
    if (!released_->slots.empty()) {
      Slot slot = std::move(released_->slots.back());
      released_->slots.pop_back();
      return slot;
    }
  }
  // Start at a different place in each process so concurrent runlets rarely collide.
  static std::atomic<unsigned> next{static_cast<unsigned>(::getpid())};
  const unsigned start = next.fetch_add(1);
  for (int i = 0; i < count_; ++i) {
    const int index = static_cast<int>((start + static_cast<unsigned>(i)) % static_cast<unsigned>(count_));
    UniqueFd fd(::open(LockPath(index).c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) return FailErrno("open slot lock " + LockPath(index));
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) {
      return Slot{index, uid_base_ + static_cast<uid_t>(index), std::move(fd)};
    }
    if (errno != EWOULDBLOCK) return FailErrno("flock " + LockPath(index));
  }
  return Fail("all " + std::to_string(count_) + " sandbox slots are busy");
}

std::optional<Slot> SlotAllocator::TryAcquire(int index) {
  UniqueFd fd(::open(LockPath(index).c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd || ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) return std::nullopt;
  return Slot{index, uid_base_ + static_cast<uid_t>(index), std::move(fd)};
}

}  // namespace runlet::sandbox
