// Tries to signal the supervisor and the test, whose host pids arrive on stdin. Also
// counts every pid it can signal at all.
#include <signal.h>
#include <sys/syscall.h>

#include "common.h"

int main(void) {
  char what[64];
  long pids[8];
  int count = ReadNumbers(pids, 8);
  if (count == 0) Fail("stdin", "no host pids given");
  for (int i = 1; i <= count; ++i) {
    pid_t pid = (pid_t)pids[i - 1];
    snprintf(what, sizeof what, "kill(host pid %d, SIGKILL)", i);
    REFUSED(what, kill(pid, SIGKILL), ESRCH);
    snprintf(what, sizeof what, "pidfd_open(host pid %d)", i);
    REFUSED(what, syscall(SYS_pidfd_open, pid, 0), ESRCH);
  }
  REFUSED("kill(1, SIGKILL)", kill(1, SIGKILL), EPERM);
  REFUSED("kill(1, SIGTERM)", kill(1, SIGTERM), EPERM);
  int visible = 0, foreign = 0;
  for (pid_t pid = 2; pid < 1 << 16; ++pid) {
    if (kill(pid, 0) == 0) {
      visible++;
      if (pid != getpid()) foreign++;
    } else if (errno != ESRCH) {
      foreign++;
    }
  }
  printf("signalable pids besides init: %d (%s)\n", visible, foreign ? "some foreign" : "only itself");
  if (foreign) g_failures++;
  return Finish();
}
