// Opens file descriptors until the kernel refuses.
#include <sys/resource.h>

#include "common.h"

int main(void) {
  int opened = 0;
  for (;;) {
    int fd = open("/dev/null", O_RDONLY);
    if (fd < 0) {
      printf("opened %d more descriptors, then %s\n", opened, ErrnoName(errno));
      break;
    }
    opened++;
    if (opened > 10 * 1000 * 1000) {
      Fail("open", "no descriptor limit");
      break;
    }
  }
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  printf("RLIMIT_NOFILE %llu/%llu\n", (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
  REFUSED("dup2 beyond the limit", dup2(0, (int)rl.rlim_max + 10), EBADF);
  return Finish();
}
