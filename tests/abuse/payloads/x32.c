// An x32 system call: the x86_64 number with bit 30 set, another table.
#include <sys/syscall.h>

#include "common.h"

int main(void) {
  printf("calling x32 getpid\n");
  fflush(stdout);
  errno = 0;
  long ret = syscall(SYS_getpid | 0x40000000L);
  printf("FAIL x32 getpid returned %ld (%s)\n", ret, ErrnoName(errno));
  return 1;
}
