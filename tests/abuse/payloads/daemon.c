// The classic daemon: setsid and double fork, ignore every signal, take a harmless name
// (argv[1]), and keep hopping to fresh pids — then the program itself exits 0.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "common.h"

static void Nap(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

int main(int argc, char** argv) {
  const char* disguise = argc > 1 ? argv[1] : "kworker/0:1";
  int ready[2];
  if (pipe(ready) < 0) return 2;
  pid_t first = fork();
  if (first == 0) {
    setsid();
    if (fork() != 0) _exit(0);
    for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_IGN);
    prctl(PR_SET_NAME, disguise);
    close(ready[0]);
    if (write(ready[1], "r", 1) < 0) _exit(1);
    close(ready[1]);
    // Keeps stdout open, and moves to a new pid every 20 ms.
    for (;;) {
      Nap(20);
      if (fork() > 0) _exit(0);
      setsid();
    }
  }
  close(ready[1]);
  waitpid(first, NULL, 0);
  char c;
  if (read(ready[0], &c, 1) == 1) printf("daemon running\n");
  // Long enough for the test to see the daemon from the host.
  Nap(400);
  return Finish();
}
