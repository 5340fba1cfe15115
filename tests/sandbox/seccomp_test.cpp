// The filter linked into the sandbox is the one libseccomp compiles from
// seccomp_filter.cpp (what it does is the abuse suite's business).
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "core/socket_families.h"
#include "sandbox/seccomp_filter.h"

namespace runlet::sandbox {
namespace {

TEST(SeccompFilter, PrecompiledProgramIsWhatLibseccompCompilesFromTheRules) {
  auto built = BuildSeccompProgram();
  ASSERT_TRUE(built) << built.error().message;
  const SeccompProgram linked = PrecompiledSeccompProgram();
  ASSERT_GT(linked.instructions.size(), 20u);
  ASSERT_EQ(linked.instructions.size(), built->instructions.size());
  for (size_t i = 0; i < linked.instructions.size(); ++i) {
    const auto& a = linked.instructions[i];
    const auto& b = built->instructions[i];
    EXPECT_TRUE(a.code == b.code && a.jt == b.jt && a.jf == b.jf && a.k == b.k) << "instruction " << i;
  }
}

// Every family number the kernel knows (and some it does not), under the linked filter in
// a child process: all but the allowed ones fail with EAFNOSUPPORT whatever the type.
TEST(SeccompFilter, RefusesEverySocketFamilyButTheAllowedOnes) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    const SeccompProgram program = PrecompiledSeccompProgram();
    const struct sock_fprog fprog = program.Fprog();
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) < 0)
      ::_exit(2);
    std::string report;
    for (int family = 0; family < 64; ++family) {
      bool allowed = false;
      for (const auto& a : kAllowedSocketFamilies) allowed |= a.family == family;
      for (int type : {SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET}) {
        errno = 0;
        const long fd = ::syscall(SYS_socket, family, type, 0);
        const int err = errno;
        if (fd >= 0) ::close(static_cast<int>(fd));
        int pair[2];
        errno = 0;
        const long paired = ::syscall(SYS_socketpair, family, type, 0, pair);
        const int pair_err = errno;
        if (paired == 0) {
          ::close(pair[0]);
          ::close(pair[1]);
        }
        if (!allowed && (fd >= 0 || err != EAFNOSUPPORT || paired == 0 || pair_err != EAFNOSUPPORT)) {
          report += "family " + std::to_string(family) + " type " + std::to_string(type) + ": socket " +
                    (fd >= 0 ? "worked" : strerrorname_np(err)) + ", socketpair " +
                    (paired == 0 ? "worked" : strerrorname_np(pair_err)) + "\n";
        }
        if (allowed && family == AF_UNIX && fd < 0) report += "AF_UNIX socket failed\n";
      }
    }
    (void)!::write(pipe_fds[1], report.data(), report.size());
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string report;
  char buf[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0;) report.append(buf, static_cast<size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the child could not install the filter";
  EXPECT_EQ(report, "");
}

#if defined(__x86_64__)
TEST(SeccompFilter, PrecompiledProgramChecksTheArchitectureFirst) {
  // seccomp_data.arch (offset 4) is loaded and compared before any system call number.
  const SeccompProgram linked = PrecompiledSeccompProgram();
  ASSERT_GE(linked.instructions.size(), 2u);
  EXPECT_EQ(linked.instructions[0].code, BPF_LD | BPF_W | BPF_ABS);
  EXPECT_EQ(linked.instructions[0].k, 4u);
  EXPECT_EQ(linked.instructions[1].code & 0x07, BPF_JMP);
  EXPECT_EQ(linked.instructions[1].k, 0xc000003eu);  // AUDIT_ARCH_X86_64
}
#endif

}  // namespace
}  // namespace runlet::sandbox
