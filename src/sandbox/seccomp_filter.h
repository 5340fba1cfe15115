// The system call filter every sandboxed process runs under: the deny list of what user
// code never needs (seccomp_rules.h), compiled once to classic BPF by libseccomp.
#pragma once

#include <linux/filter.h>

#include <vector>

#include "core/error.h"

namespace runlet::sandbox {

struct SeccompProgram {
  std::vector<struct sock_filter> instructions;
  // The program as the kernel takes it; valid while `instructions` lives and is unchanged.
  struct sock_fprog Fprog() const {
    return {static_cast<unsigned short>(instructions.size()),
            const_cast<struct sock_filter*>(instructions.data())};
  }
};

// Builds the filter for the native architecture: SeccompDenyRules() fail with their errno;
// calls from another ABI (32-bit int 0x80, x32) kill the process.
// Needs libseccomp: only the build (runlet_seccomp_gen) and the tests call it.
Result<SeccompProgram> BuildSeccompProgram();

// The same program, compiled by BuildSeccompProgram when runlet was built (the sandbox
// neither links libseccomp nor spends its start-up compiling the filter).
SeccompProgram PrecompiledSeccompProgram();

}  // namespace runlet::sandbox
