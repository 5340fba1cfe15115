#include "platform/docker/seccomp_profile.h"

#include <boost/json.hpp>
#include <map>

#include "sandbox/seccomp_rules.h"

namespace runlet::platform::docker {
namespace {

namespace json = boost::json;
using sandbox::SeccompOp;

#if defined(__x86_64__)
constexpr const char* kArchitecture = "SCMP_ARCH_X86_64";
#elif defined(__aarch64__)
constexpr const char* kArchitecture = "SCMP_ARCH_AARCH64";
#else
#error "name this architecture's libseccomp SCMP_ARCH_ for the container seccomp profile"
#endif

const char* OpName(SeccompOp op) {
  switch (op) {
    case SeccompOp::kEq: return "SCMP_CMP_EQ";
    case SeccompOp::kNe: return "SCMP_CMP_NE";
    case SeccompOp::kGe: return "SCMP_CMP_GE";
    case SeccompOp::kMaskedEq: return "SCMP_CMP_MASKED_EQ";
  }
  return "SCMP_CMP_EQ";
}

std::string MakeProfile() {
  // Unconditional rules of the same errno share one entry; each conditional rule is an
  // entry of its own (an entry's checks must all hold: on different arguments, runc ANDs
  // them; no rule here checks one argument twice, which runc would OR).
  std::map<int, json::array> plain;
  json::array syscalls;
  for (const auto& rule : sandbox::SeccompDenyRules()) {
    if (rule.checks.empty()) {
      plain[rule.errno_value].emplace_back(rule.name);
      continue;
    }
    json::array args;
    for (const auto& c : rule.checks) {
      args.push_back(json::object{{"index", c.index},
                                  {"value", c.value},
                                  {"valueTwo", c.op == SeccompOp::kMaskedEq ? c.value_two : 0},
                                  {"op", OpName(c.op)}});
    }
    syscalls.push_back(json::object{{"names", json::array{json::value(rule.name)}},
                                    {"action", "SCMP_ACT_ERRNO"},
                                    {"errnoRet", rule.errno_value},
                                    {"args", std::move(args)}});
  }
  for (auto& [errno_value, names] : plain) {
    syscalls.push_back(json::object{{"names", std::move(names)}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", errno_value}});
  }
  return json::serialize(json::object{{"defaultAction", "SCMP_ACT_ALLOW"},
                                      {"architectures", json::array{kArchitecture}},
                                      {"syscalls", std::move(syscalls)}});
}

}  // namespace

const std::string& SeccompProfileJson() {
  static const std::string profile = MakeProfile();
  return profile;
}

}  // namespace runlet::platform::docker
