#include "sandbox/step_message.h"

#include <cstring>

namespace runlet::sandbox {
namespace {

struct StepCounts {
  uint32_t argc, envc, candidates, rlimits, stdin_null;
};

}  // namespace

std::string EncodeSteps(const std::vector<EncodedStep>& steps) {
  if (steps.empty() || steps.size() > kMaxSteps) return {};
  std::string body;
  auto put = [&](const void* data, size_t n) { body.append(static_cast<const char*>(data), n); };
  const uint32_t count = static_cast<uint32_t>(steps.size());
  put(&count, sizeof count);
  size_t strings = 0;
  for (const auto& s : steps) {
    if (s.rlimits.size() > kMaxStepRlimits) return {};
    StepCounts c{static_cast<uint32_t>(s.argv.size()), static_cast<uint32_t>(s.env.size()),
                 static_cast<uint32_t>(s.candidates.size()), static_cast<uint32_t>(s.rlimits.size()),
                 s.stdin_null ? 1u : 0u};
    put(&c, sizeof c);
    strings += s.argv.size() + s.env.size() + s.candidates.size() + 3;  // + NULL terminators
  }
  if (strings > kMaxStepStrings) return {};
  for (const auto& s : steps) {
    for (const auto& r : s.rlimits) put(&r, sizeof r);
    for (const auto* list : {&s.argv, &s.env, &s.candidates}) {
      for (const auto& str : *list) body.append(str.c_str(), str.size() + 1);
    }
  }
  if (body.size() > kMaxStepMessage) return {};
  StepMessageHeader header{kStepMagic, static_cast<uint32_t>(body.size())};
  return std::string(reinterpret_cast<const char*>(&header), sizeof header) + body;
}

size_t DecodeSteps(char* body, size_t size, ChildStep* steps, char** strings, ChildRlimit* rlimits) {
  size_t at = 0;
  auto take = [&](void* out, size_t n) {
    if (size - at < n) return false;
    std::memcpy(out, body + at, n);
    at += n;
    return true;
  };
  uint32_t count = 0;
  if (!take(&count, sizeof count) || count == 0 || count > kMaxSteps) return 0;
  StepCounts counts[kMaxSteps];
  for (uint32_t i = 0; i < count; ++i) {
    if (!take(&counts[i], sizeof counts[i]) || counts[i].rlimits > kMaxStepRlimits) return 0;
  }
  size_t next_string = 0;
  // Each string list gets a NULL-terminated pointer array carved from `strings`.
  auto strings_of = [&](uint32_t n, char**& list) {
    if (n > kMaxStepStrings || next_string + n + 1 > kMaxStepStrings) return false;
    list = strings + next_string;
    for (uint32_t k = 0; k < n; ++k) {
      const void* nul = at < size ? std::memchr(body + at, '\0', size - at) : nullptr;
      if (!nul) return false;
      list[k] = body + at;
      at = static_cast<size_t>(static_cast<const char*>(nul) - body) + 1;
    }
    list[n] = nullptr;
    next_string += n + 1;
    return true;
  };
  for (uint32_t i = 0; i < count; ++i) {
    ChildRlimit* own = rlimits + i * kMaxStepRlimits;
    for (uint32_t k = 0; k < counts[i].rlimits; ++k) {
      if (!take(&own[k], sizeof own[k])) return 0;
    }
    char** argv = nullptr;
    char** env = nullptr;
    char** candidates = nullptr;
    if (!strings_of(counts[i].argc, argv) || !strings_of(counts[i].envc, env) ||
        !strings_of(counts[i].candidates, candidates) || counts[i].argc == 0) {
      return 0;
    }
    steps[i] = ChildStep{candidates, counts[i].candidates, argv, env, own, counts[i].rlimits, counts[i].stdin_null != 0};
  }
  return at == size ? count : 0;
}

}  // namespace runlet::sandbox
