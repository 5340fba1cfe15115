#include "sandbox/seccomp_rules.h"

#include <errno.h>
#include <linux/sched.h>
#include <sys/ioctl.h>

#include "core/socket_families.h"

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
    "clone3",  // its flags live in memory a filter cannot read; libc falls back to clone
    "io_uring_setup", "io_uring_enter", "io_uring_register",
};

std::vector<SeccompRule> MakeRules() {
  std::vector<SeccompRule> rules;
  for (const char* name : kDeniedEperm) rules.push_back({name, EPERM, {}});
  for (const char* name : kDeniedEnosys) rules.push_back({name, ENOSYS, {}});
  // clone() that asks for any new namespace.
  for (uint64_t flag : {CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
                        CLONE_NEWCGROUP}) {
    rules.push_back({"clone", EPERM, {{0, SeccompOp::kMaskedEq, flag, flag}}});
  }
  // Faking terminal input into another session, and the console's ioctl.
  for (uint64_t request : {TIOCSTI, TIOCLINUX}) {
    rules.push_back({"ioctl", EPERM, {{1, SeccompOp::kMaskedEq, 0xffffffffu, request}}});
  }
  // personality(): only the query; no switching off ASLR, READ_IMPLIES_EXEC, etc. (one
  // comparison per argument, so PER_LINUX itself is refused too).
  rules.push_back({"personality", EPERM, {{0, SeccompOp::kNe, 0xffffffffu, 0}}});
  // Sockets of the families a run needs only (core/socket_families.h): an allow-list,
  // written as refusals of every other value of the family argument, so that the filter
  // stays "allow unless refused". Values with any of the upper 32 bits set are refused too.
  for (const char* call : {"socket", "socketpair"}) {
    uint64_t next = 0;  // the lowest family not yet allowed or refused
    for (const auto& allowed : kAllowedSocketFamilies) {
      const auto family = static_cast<uint64_t>(allowed.family);
      for (uint64_t refused = next; refused < family; ++refused) {
        rules.push_back({call, kRefusedFamilyErrno, {{0, SeccompOp::kEq, refused, 0}}});
      }
      next = family + 1;
      if (allowed.only_protocol >= 0) {
        rules.push_back({call,
                         kRefusedProtocolErrno,
                         {{0, SeccompOp::kEq, family, 0}, {2, SeccompOp::kNe, static_cast<uint64_t>(allowed.only_protocol), 0}}});
      }
    }
    rules.push_back({call, kRefusedFamilyErrno, {{0, SeccompOp::kGe, next, 0}}});
  }
  return rules;
}

}  // namespace

const std::vector<SeccompRule>& SeccompDenyRules() {
  static const std::vector<SeccompRule> rules = MakeRules();
  return rules;
}

}  // namespace runlet::sandbox
