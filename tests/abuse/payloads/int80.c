// A 32-bit system call through int 0x80: the i386 table, which the filter does not cover.
#include "common.h"

int main(void) {
  printf("calling int 0x80\n");
  fflush(stdout);
  long ret;
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L /* i386 getpid */) : "memory");
  printf("FAIL int 0x80 returned %ld\n", ret);
  return 1;
}
