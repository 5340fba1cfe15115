// Tries to raise its hard resource limits, and to change init's.
#include <sys/resource.h>

#include "common.h"

static void TryRaise(const char* name, int resource) {
  struct rlimit rl;
  getrlimit(resource, &rl);
  if (rl.rlim_max == RLIM_INFINITY) {
    printf("%s is unlimited already\n", name);
    return;
  }
  struct rlimit more = {rl.rlim_max + 1, rl.rlim_max + 1};
  char what[64];
  snprintf(what, sizeof what, "raise %s", name);
  REFUSED(what, setrlimit(resource, &more), EPERM);
}

int main(void) {
  TryRaise("RLIMIT_NOFILE", RLIMIT_NOFILE);
  TryRaise("RLIMIT_NPROC", RLIMIT_NPROC);
  TryRaise("RLIMIT_CPU", RLIMIT_CPU);
  TryRaise("RLIMIT_FSIZE", RLIMIT_FSIZE);
  TryRaise("RLIMIT_CORE", RLIMIT_CORE);
  TryRaise("RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE);
  struct rlimit huge = {RLIM_INFINITY, RLIM_INFINITY};
  REFUSED("prlimit(init, RLIMIT_NOFILE)", prlimit(1, RLIMIT_NOFILE, &huge, NULL), EPERM);
  REFUSED("setrlimit(RLIMIT_NOFILE, 2^20)", setrlimit(RLIMIT_NOFILE, &(struct rlimit){1 << 20, 1 << 20}),
          EPERM);
  return Finish();
}
