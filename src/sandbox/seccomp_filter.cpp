#include "sandbox/seccomp_filter.h"

#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "core/unique_fd.h"
#include "sandbox/seccomp_rules.h"

namespace runlet::sandbox {
namespace {

struct CtxDeleter {
  void operator()(scmp_filter_ctx ctx) const { seccomp_release(ctx); }
};

Status AddRule(scmp_filter_ctx ctx, uint32_t action, const char* name, unsigned count = 0,
               const scmp_arg_cmp* args = nullptr) {
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) return {};  // unknown to this libseccomp: nothing to deny
  int rc = seccomp_rule_add_array(ctx, action, nr, count, args);
  if (rc < 0) return FailErrno(std::string("seccomp rule for ") + name, -rc);
  return {};
}

scmp_arg_cmp ToLibseccomp(const SeccompArgCheck& c) {
  const scmp_compare op = c.op == SeccompOp::kEq   ? SCMP_CMP_EQ
                          : c.op == SeccompOp::kNe ? SCMP_CMP_NE
                          : c.op == SeccompOp::kGe ? SCMP_CMP_GE
                                                   : SCMP_CMP_MASKED_EQ;
  return scmp_arg_cmp{c.index, op, c.value, c.value_two};
}

}  // namespace

Result<SeccompProgram> BuildSeccompProgram() {
  std::unique_ptr<void, CtxDeleter> ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) return Fail("seccomp_init failed");
  // Foreign ABIs (i386 via int 0x80, x32) are not in the filter: the process is killed.
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  // libseccomp's x86_64 filter treats syscall numbers with the x32 bit as a bad arch.
  for (const SeccompRule& rule : SeccompDenyRules()) {
    std::vector<scmp_arg_cmp> args;
    for (const SeccompArgCheck& c : rule.checks) args.push_back(ToLibseccomp(c));
    if (auto s = AddRule(ctx.get(), SCMP_ACT_ERRNO(rule.errno_value), rule.name.c_str(),
                         static_cast<unsigned>(args.size()), args.empty() ? nullptr : args.data());
        !s) {
      return tl::unexpected(s.error());
    }
  }

  UniqueFd memfd(::memfd_create("runlet-seccomp", MFD_CLOEXEC));
  if (!memfd) return FailErrno("memfd_create");
  if (int rc = seccomp_export_bpf(ctx.get(), memfd.get()); rc < 0) {
    return FailErrno("seccomp_export_bpf", -rc);
  }
  struct stat st {};
  if (::fstat(memfd.get(), &st) < 0) return FailErrno("fstat seccomp program");
  SeccompProgram program;
  program.instructions.resize(static_cast<size_t>(st.st_size) / sizeof(struct sock_filter));
  const size_t bytes = program.instructions.size() * sizeof(struct sock_filter);
  if (::pread(memfd.get(), program.instructions.data(), bytes, 0) != static_cast<ssize_t>(bytes)) {
    return FailErrno("read seccomp program");
  }
  return program;
}

}  // namespace runlet::sandbox
