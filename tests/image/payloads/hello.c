/* The only program in the tiny image of the end-to-end test. */
#include <stdio.h>
#include <unistd.h>

int main(void) {
  printf("hello from a runlet image (uid %d)\n", (int)getuid());
  return 0;
}
