// The isolation half of the platform conformance suite: system calls and socket families
// a run must not get on any platform. One line per probe: "<probe>: denied" when the
// kernel (or the filter in front of it) refused it as not permitted or not there, else
// what happened ("allowed", or the errno of a call that reached the kernel).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

static void report(const char* probe, long r) {
  if (r >= 0) {
    printf("%s: allowed\n", probe);
  } else if (errno == EPERM || errno == EACCES || errno == ENOSYS || errno == EAFNOSUPPORT ||
             errno == EPROTONOSUPPORT) {
    printf("%s: denied\n", probe);
  } else {
    printf("%s: reached the kernel (%s)\n", probe, strerror(errno));
  }
  fflush(stdout);
}

static void socket_probe(const char* probe, int family, int type, int protocol) {
  const int fd = socket(family, type, protocol);
  report(probe, fd);
  if (fd >= 0) close(fd);
}

// clone() with namespace flags, raw (libc's wrapper needs a stack): the child exits at once.
static void clone_probe(const char* probe, unsigned long flags) {
  const long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) _exit(0);
  const int saved = errno;
  if (pid > 0) waitpid((pid_t)pid, NULL, 0);
  errno = saved;
  report(probe, pid);
}

int main(void) {
  report("unshare user", unshare(CLONE_NEWUSER));
  report("unshare mount", unshare(CLONE_NEWNS));
  report("unshare net", unshare(CLONE_NEWNET));
  clone_probe("clone user", CLONE_NEWUSER);
  clone_probe("clone pid", CLONE_NEWPID);
  clone_probe("clone net", CLONE_NEWNET);
  report("clone3", syscall(SYS_clone3, NULL, 0));
  report("mount tmpfs", mount("none", "/tmp", "tmpfs", 0, NULL));
  const int ns = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
  report("setns", setns(ns, 0));
  report("keyctl join", syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "runlet-probe"));
  report("add_key", syscall(SYS_add_key, "user", "runlet-probe", "secret", 6, KEY_SPEC_PROCESS_KEYRING));
  report("request_key", syscall(SYS_request_key, "user", "runlet-probe", NULL, KEY_SPEC_PROCESS_KEYRING));
  socket_probe("AF_PACKET", AF_PACKET, SOCK_RAW, 0);
  socket_probe("AF_NETLINK netfilter", AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);
  socket_probe("AF_NETLINK audit", AF_NETLINK, SOCK_RAW, NETLINK_AUDIT);
  socket_probe("AF_VSOCK", AF_VSOCK, SOCK_STREAM, 0);
  socket_probe("AF_ALG", AF_ALG, SOCK_SEQPACKET, 0);
  socket_probe("AF_KEY", AF_KEY, SOCK_RAW, 2);
  int pair[2];
  report("socketpair AF_VSOCK", socketpair(AF_VSOCK, SOCK_STREAM, 0, pair));
  report("io_uring_setup", syscall(SYS_io_uring_setup, 4, NULL));
  report("ptrace traceme", ptrace(PTRACE_TRACEME, 0, NULL, NULL));
  report("bpf", syscall(SYS_bpf, 0, NULL, 0));
  report("perf_event_open", syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
  report("userfaultfd", syscall(SYS_userfaultfd, 0));
  report("personality", personality(ADDR_NO_RANDOMIZE));
  report("open_by_handle_at", syscall(SYS_open_by_handle_at, AT_FDCWD, NULL, 0));
  return 0;
}
