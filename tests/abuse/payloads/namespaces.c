// Tries to create or enter namespaces: unshare, clone with namespace flags, clone3, setns.
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "common.h"

// clone() as a raw system call; a child that somehow appears leaves at once.
static long RawClone(unsigned long flags) {
  long pid = syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid((pid_t)pid, NULL, 0);
  return pid;
}

// clone3() with `flags`; a child that somehow appears leaves at once.
static long RawClone3(unsigned long long flags) {
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = flags;
  args.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0) _exit(0);
  return pid;
}

int main(void) {
  const struct {
    const char* name;
    unsigned long flag;
  } kinds[] = {{"CLONE_NEWUSER", CLONE_NEWUSER}, {"CLONE_NEWNS", CLONE_NEWNS},
               {"CLONE_NEWPID", CLONE_NEWPID},   {"CLONE_NEWNET", CLONE_NEWNET},
               {"CLONE_NEWIPC", CLONE_NEWIPC},   {"CLONE_NEWUTS", CLONE_NEWUTS},
               {"CLONE_NEWCGROUP", CLONE_NEWCGROUP}};
  char what[128];
  for (size_t i = 0; i < sizeof kinds / sizeof *kinds; ++i) {
    snprintf(what, sizeof what, "unshare(%s)", kinds[i].name);
    REFUSED(what, unshare((int)kinds[i].flag), EPERM);
    snprintf(what, sizeof what, "clone(%s)", kinds[i].name);
    REFUSED(what, RawClone(kinds[i].flag), EPERM);
  }
  // The kernel only reads clone()'s low 32 bits: high garbage must not slip past the filter.
  REFUSED("clone(CLONE_NEWUSER | 1<<32)", RawClone(CLONE_NEWUSER | (1UL << 32)), EPERM);
  REFUSED("unshare(CLONE_NEWTIME)", unshare(0x80 /* CLONE_NEWTIME */), EPERM);
  REFUSED("clone3(CLONE_NEWUSER)", RawClone3(CLONE_NEWUSER), ENOSYS);
  int own = open("/proc/self/ns/user", O_RDONLY);
  REFUSED("setns(own user namespace)", setns(own, 0), EPERM);
  REFUSED("open /proc/1/ns/mnt", open("/proc/1/ns/mnt", O_RDONLY), EACCES);
  // Ordinary processes still work.
  pid_t child = fork();
  if (child == 0) _exit(0);
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status)) Fail("fork", "broken");
  else printf("plain fork works\n");
  return Finish();
}
