// Unbounded recursion with a frame the compiler cannot elide.
#include <stdio.h>

// The recursion is the point.
#pragma GCC diagnostic ignored "-Winfinite-recursion"

__attribute__((noinline)) static long Recurse(long depth) {
  volatile char frame[4096];
  frame[depth % sizeof frame] = (char)depth;
  return Recurse(depth + 1) + frame[(depth * 7) % sizeof frame];
}

int main(void) {
  printf("%ld\n", Recurse(0));
  return 0;
}
