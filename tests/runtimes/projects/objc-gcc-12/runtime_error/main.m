#include <stdio.h>

int main(void) {
  fputs("about to fail\n", stderr);
  return 3;
}
