/* Programs the cgroup v2 VM test runs in the sandbox (static, no libc beyond the basics):
 *   probes hello            prints "hello"
 *   probes memory MIB       touches MIB MiB, 1 MiB at a time, then prints "allocated"
 *   probes fork N           forks until refused or N, prints "forked K", children wait
 *   probes spin             burns CPU until killed
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  if (!strcmp(argv[1], "hello")) {
    puts("hello");
    return 0;
  }
  if (!strcmp(argv[1], "memory") && argc > 2) {
    const long mib = atol(argv[2]);
    for (long i = 0; i < mib; ++i) {
      char* p = malloc(1 << 20);
      if (!p) return 3;
      memset(p, 1, 1 << 20);
    }
    puts("allocated");
    return 0;
  }
  if (!strcmp(argv[1], "fork") && argc > 2) {
    const long n = atol(argv[2]);
    long k = 0;
    for (; k < n; ++k) {
      pid_t p = fork();
      if (p < 0) break;
      if (p == 0) {
        pause();
        _exit(0);
      }
    }
    printf("forked %ld\n", k);
    return 0;
  }
  if (!strcmp(argv[1], "spin")) {
    volatile unsigned long x = 0;
    for (;;) ++x;
  }
  return 2;
}
