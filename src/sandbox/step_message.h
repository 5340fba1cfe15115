// The message that starts a prepared sandbox: the steps to run (argv, environment, exec
// candidates, rlimits). The supervisor encodes it; init decodes it in place, without
// allocating, into arrays it owns.
//
// Layout (native byte order, the two sides are one binary): a header {magic, bytes},
// then u32 step_count, then per step u32 argc, envc, candidate_count, rlimit_count,
// stdin_null; then, per step, its rlimits as ChildRlimit structs followed by its
// argv, env and candidate strings, each NUL-terminated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sandbox/child.h"

namespace runlet::sandbox {

constexpr uint32_t kStepMagic = 0x524c5354;    // "RLST"
constexpr size_t kMaxStepMessage = 4u << 20;  // larger requests are refused (E2BIG)
constexpr size_t kMaxSteps = 8;
constexpr size_t kMaxStepStrings = 1u << 17;  // argv + env + candidates, all steps
constexpr size_t kMaxStepRlimits = 16;        // per step

struct StepMessageHeader {
  uint32_t magic;
  uint32_t bytes;  // of what follows
};

struct EncodedStep {
  std::vector<std::string> argv, env, candidates;
  std::vector<ChildRlimit> rlimits;
  bool stdin_null = false;
};

// The header and body; empty if the steps exceed the limits above.
std::string EncodeSteps(const std::vector<EncodedStep>& steps);

// Decodes `body` (modified in place) into `steps` (at most kMaxSteps), whose pointer
// arrays are carved from `strings` (kMaxStepStrings entries) and `rlimits`
// (kMaxSteps * kMaxStepRlimits). Returns the step count, or 0 if malformed.
size_t DecodeSteps(char* body, size_t size, ChildStep* steps, char** strings, ChildRlimit* rlimits);

}  // namespace runlet::sandbox
