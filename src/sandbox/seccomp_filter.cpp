#include "sandbox/seccomp_filter.h"

#include <linux/sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include "core/socket_families.h"
#include "core/unique_fd.h"

namespace runlet::sandbox {
namespace {

constexpr const char* kDeniedEperm[] = {
    // file systems and namespaces
    "mount", "umount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen",
    "fsconfig", "fsmount", "fspick", "mount_setattr", "unshare", "setns",
    // other processes and the kernel
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp", "kexec_load",
    "kexec_file_load", "bpf", "perf_event_open", "keyctl", "add_key", "request_key", "reboot",
    "init_module", "finit_module", "delete_module", "create_module", "get_kernel_syms",
    "query_module", "userfaultfd", "acct", "swapon", "swapoff", "syslog", "quotactl",
    "quotactl_fd", "lookup_dcookie", "open_by_handle_at", "name_to_handle_at", "fanotify_init",
    "nfsservctl", "uselib", "ustat", "sysfs", "_sysctl", "vhangup", "iopl", "ioperm", "vm86",
    "vm86old", "move_pages", "migrate_pages", "lsm_set_self_attr",
    // clocks and host identity
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "stime", "sethostname",
    "setdomainname",
};

constexpr const char* kDeniedEnosys[] = {
    "clone3",  // its flags live in memory the filter cannot read; libc falls back to clone
    "io_uring_setup", "io_uring_enter", "io_uring_register",
};

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

}  // namespace

Result<SeccompProgram> BuildSeccompProgram() {
  std::unique_ptr<void, CtxDeleter> ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) return Fail("seccomp_init failed");
  // Foreign ABIs (i386 via int 0x80, x32) are not in the filter: the process is killed.
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  // libseccomp's x86_64 filter treats syscall numbers with the x32 bit as a bad arch.
  const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
  for (const char* name : kDeniedEperm) {
    if (auto s = AddRule(ctx.get(), eperm, name); !s) return tl::unexpected(s.error());
  }
  for (const char* name : kDeniedEnosys) {
    if (auto s = AddRule(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), name); !s)
      return tl::unexpected(s.error());
  }
  // clone() that asks for any new namespace.
  for (uint64_t flag : {CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
                        CLONE_NEWNET, CLONE_NEWCGROUP}) {
    scmp_arg_cmp arg = SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag);
    if (auto s = AddRule(ctx.get(), eperm, "clone", 1, &arg); !s) return tl::unexpected(s.error());
  }
  // Faking terminal input into another session, and the console's ioctl.
  for (uint64_t request : {TIOCSTI, TIOCLINUX}) {
    scmp_arg_cmp arg = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, request);
    if (auto s = AddRule(ctx.get(), eperm, "ioctl", 1, &arg); !s) return tl::unexpected(s.error());
  }
  // Sockets of the families a run needs only (core/socket_families.h): an allow-list,
  // written as refusals of every other value of the family argument, so that the filter
  // stays "allow unless refused". Values with any of the upper 32 bits set are refused too.
  for (const char* call : {"socket", "socketpair"}) {
    const uint32_t no_family = SCMP_ACT_ERRNO(kRefusedFamilyErrno);
    uint64_t next = 0;  // the lowest family not yet allowed or refused
    for (const auto& allowed : kAllowedSocketFamilies) {
      for (uint64_t family = next; family < static_cast<uint64_t>(allowed.family); ++family) {
        scmp_arg_cmp arg = SCMP_A0(SCMP_CMP_EQ, family);
        if (auto s = AddRule(ctx.get(), no_family, call, 1, &arg); !s) return tl::unexpected(s.error());
      }
      next = static_cast<uint64_t>(allowed.family) + 1;
      if (allowed.only_protocol >= 0) {
        scmp_arg_cmp args[] = {SCMP_A0(SCMP_CMP_EQ, static_cast<uint64_t>(allowed.family)),
                               SCMP_A2(SCMP_CMP_NE, static_cast<uint64_t>(allowed.only_protocol))};
        if (auto s = AddRule(ctx.get(), SCMP_ACT_ERRNO(kRefusedProtocolErrno), call, 2, args); !s)
          return tl::unexpected(s.error());
      }
    }
    scmp_arg_cmp above = SCMP_A0(SCMP_CMP_GE, next);
    if (auto s = AddRule(ctx.get(), no_family, call, 1, &above); !s) return tl::unexpected(s.error());
  }
  // personality(): only the query; no switching off ASLR, READ_IMPLIES_EXEC, etc.
  // (libseccomp takes one comparison per argument, so PER_LINUX itself is refused too.)
  {
    scmp_arg_cmp arg = SCMP_A0(SCMP_CMP_NE, 0xffffffffu);
    if (auto s = AddRule(ctx.get(), eperm, "personality", 1, &arg); !s)
      return tl::unexpected(s.error());
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
