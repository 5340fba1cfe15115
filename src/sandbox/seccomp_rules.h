// The system calls a run may not make, as data: the one list from which both the native
// sandbox's filter (seccomp_filter.cpp, compiled to BPF by libseccomp) and the container
// platforms' seccomp profile (platform/docker/seccomp_profile.h, the OCI/Docker JSON the
// engines hand to runc) are made, so that a program meets the same refusals everywhere.
// Everything not listed is allowed; calls from another ABI are not in the list (each
// consumer kills them: libseccomp's bad-arch action, the profile's single architecture).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace runlet::sandbox {

// One comparison of a system call's argument, as libseccomp and OCI profiles define them.
enum class SeccompOp { kEq, kNe, kGe, kMaskedEq };

struct SeccompArgCheck {
  unsigned index;     // 0..5
  SeccompOp op;
  uint64_t value;      // kMaskedEq: the mask
  uint64_t value_two;  // kMaskedEq: what (argument & mask) must equal; else unused
};

// `name` fails with `errno_value` when every check holds (no checks: always). Several
// rules may name the same call; their checks never hold at once.
struct SeccompRule {
  std::string name;
  int errno_value;
  std::vector<SeccompArgCheck> checks;
};

// Namespace creation, mounts, ptrace, kernel keyrings, BPF, perf, module loading, reboot,
// clock setting and the like fail with EPERM; clone3 and io_uring with ENOSYS (runtimes
// fall back to clone and epoll); TIOCSTI/TIOCLINUX and personality changes with EPERM;
// socket() and socketpair() outside core/socket_families.h with EAFNOSUPPORT
// (EPROTONOSUPPORT for a refused protocol of an allowed family). Names a kernel or
// libseccomp does not know are skipped by both consumers.
const std::vector<SeccompRule>& SeccompDenyRules();

}  // namespace runlet::sandbox
