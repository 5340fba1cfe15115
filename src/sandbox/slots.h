// Sandbox slots: each live sandbox holds one, across every runlet process on the host,
// and runs as the slot's own host uid/gid, so two sandboxes never share an identity
// (they cannot signal, ptrace or read each other's files).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "core/error.h"
#include "core/unique_fd.h"

namespace runlet::sandbox {

struct Slot {
  int index = -1;
  uid_t host_uid = 0;  // = host gid
  UniqueFd lock;       // flock held while the slot is in use
};

class SlotAllocator {
 public:
  // `dir` holds one lock file per slot; uids are uid_base + index.
  SlotAllocator(std::string dir, uid_t uid_base, int count)
      : dir_(std::move(dir)), uid_base_(uid_base), count_(count) {}

  Status Init();
  // Takes a free slot; fails when all `count` are busy.
  Result<Slot> Acquire();
  // Takes slot `index` if nobody holds it (to clean its leftovers), else nullopt.
  std::optional<Slot> TryAcquire(int index);
  int count() const { return count_; }

 private:
  std::string LockPath(int index) const;
  std::string dir_;
  uid_t uid_base_;
  int count_;
};

}  // namespace runlet::sandbox
