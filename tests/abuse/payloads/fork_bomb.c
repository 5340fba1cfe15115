// Every process forks forever; none ever exits, so the tree only grows until the pids
// limit stops it, then everything spins in fork() until the CPU limit.
#include <unistd.h>

int main(void) {
  for (;;) (void)fork();
}
