#include <stdio.h>

int main(void) {
  printf("%d\n", undefined_thing);
  return 0;
}
