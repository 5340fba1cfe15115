// Sandbox slots: each live sandbox holds one, across every runlet process on the host,
// and runs as the slot's own host uid/gid, so two sandboxes never share an identity
// (they cannot signal, ptrace or read each other's files).
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/unique_fd.h"

namespace runlet::sandbox {

struct Slot {
  int index = -1;
  uid_t host_uid = 0;  // = host gid
  UniqueFd lock;       // flock held while the slot is in use
};

// Thread-safe. A slot given back with Release stays locked by this process and is the
// next one Acquire hands out: closing its lock would not free it at once, since every
// sandbox cloned meanwhile by another thread holds a copy of the fd (clone copies the fd
// table) until its init closes what it inherited.
class SlotAllocator {
 public:
  // `dir` holds one lock file per slot; uids are uid_base + index.
  SlotAllocator(std::string dir, uid_t uid_base, int count)
      : dir_(std::move(dir)), uid_base_(uid_base), count_(count), released_(std::make_unique<Released>()) {}

  Status Init();
  // Takes a free slot; fails when all `count` are busy.
  Result<Slot> Acquire();
  // Gives back a slot taken by Acquire whose sandbox is gone (processes, cgroup).
  void Release(Slot slot);
  // Takes slot `index` if nobody holds it (to clean its leftovers), else nullopt.
  std::optional<Slot> TryAcquire(int index);
  int count() const { return count_; }

 private:
  std::string LockPath(int index) const;
  struct Released {
    std::mutex mu;
    std::vector<Slot> slots;
  };
  std::string dir_;
  uid_t uid_base_;
  int count_;
  std::unique_ptr<Released> released_;
};

}  // namespace runlet::sandbox
