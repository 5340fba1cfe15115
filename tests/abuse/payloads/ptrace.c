// Tries every way to read or steer another process: ptrace, process_vm_*, kcmp,
// pidfd_getfd, on init and on its own child.
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "common.h"

int main(void) {
  REFUSED("ptrace(PTRACE_TRACEME)", ptrace(PTRACE_TRACEME, 0, NULL, NULL), EPERM);
  REFUSED("ptrace(PTRACE_ATTACH, 1)", ptrace(PTRACE_ATTACH, 1, NULL, NULL), EPERM);
  REFUSED("ptrace(PTRACE_SEIZE, 1)", ptrace(PTRACE_SEIZE, 1, NULL, NULL), EPERM);
  pid_t child = fork();
  if (child == 0) {
    for (;;) pause();
  }
  REFUSED("ptrace(PTRACE_ATTACH, child)", ptrace(PTRACE_ATTACH, child, NULL, NULL), EPERM);
  char buf[16];
  struct iovec local = {buf, sizeof buf};
  struct iovec remote = {(void*)0x400000, sizeof buf};
  REFUSED("process_vm_readv(1)", syscall(SYS_process_vm_readv, 1, &local, 1, &remote, 1, 0), EPERM);
  REFUSED("process_vm_writev(child)", syscall(SYS_process_vm_writev, child, &local, 1, &remote, 1, 0),
          EPERM);
  REFUSED("kcmp(1, self)", syscall(SYS_kcmp, 1, getpid(), 0 /* KCMP_FILE */, 0, 0), EPERM);
  int pidfd = (int)syscall(SYS_pidfd_open, 1, 0);
  REFUSED("pidfd_getfd(init, 3)", syscall(SYS_pidfd_getfd, pidfd, 3, 0), EPERM);
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  return Finish();
}
