// personality() can switch off address space randomisation or make all reads executable.
#include <sys/personality.h>
#include <sys/syscall.h>

#include "common.h"

int main(void) {
  long current = personality(0xffffffff);
  printf("personality query returns %ld\n", current);
  REFUSED("personality(ADDR_NO_RANDOMIZE)", personality(ADDR_NO_RANDOMIZE), EPERM);
  REFUSED("personality(READ_IMPLIES_EXEC)", personality(READ_IMPLIES_EXEC), EPERM);
  REFUSED("personality(PER_LINUX32)", personality(PER_LINUX32), EPERM);
  REFUSED("personality(1<<32 | ADDR_NO_RANDOMIZE)",
          syscall(SYS_personality, (1UL << 32) | ADDR_NO_RANDOMIZE), EPERM);
  char buf[64];
  long n = ReadFile("/proc/sys/kernel/randomize_va_space", buf, sizeof buf - 1);
  if (n > 0) {
    buf[n] = 0;
    printf("randomize_va_space %s", buf);
  }
  return Finish();
}
