// kill(-1, SIGKILL): "every process I may signal". It must reach only this sandbox.
// Waits for the test's go on stdin first, so the test can start host processes to spare.
#include <signal.h>
#include <sys/wait.h>

#include "common.h"

int main(void) {
  pid_t child = fork();
  if (child == 0) {
    for (;;) pause();
  }
  WaitForGo();
  errno = 0;
  long rc = kill(-1, SIGKILL);
  printf("kill(-1, SIGKILL) returned %ld\n", rc);
  int status = 0;
  if (waitpid(child, &status, 0) == child && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
    printf("own child killed\n");
  } else {
    Fail("kill(-1)", "own child survived");
  }
  return Finish();
}
