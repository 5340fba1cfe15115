// runlet-seccomp-exec ARGV...: installs the native sandbox's seccomp filter (no_new_privs
// first) and executes ARGV. The gVisor platform starts every step through it: runsc
// applies the engine's seccomp profile to a container's first process only, not to the
// processes exec'd into it, and gVisor's own kernel grants what Linux's would refuse
// (user namespaces, AF_PACKET, ptrace). Static, C library only: it is bound read-only
// into containers of any image.
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace {

const struct sock_filter kNativeFilter[] = {
#include "seccomp_program.inc"
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: runlet-seccomp-exec PROGRAM [ARG...]\n");
    return 127;
  }
  const sock_fprog filter{static_cast<unsigned short>(sizeof kNativeFilter / sizeof kNativeFilter[0]),
                          const_cast<sock_filter*>(kNativeFilter)};
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &filter) != 0) {
    std::fprintf(stderr, "runlet: cannot install the seccomp filter: %s\n", std::strerror(errno));
    return 127;
  }
  ::execvp(argv[1], argv + 1);
  std::fprintf(stderr, "runlet: cannot execute %s: %s\n", argv[1], std::strerror(errno));
  return errno == ENOENT ? 127 : 126;
}
