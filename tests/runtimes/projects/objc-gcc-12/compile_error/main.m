#include <stdio.h>

int main(void) {
  printf("%d\n", undefined_thing + 1);
  return 0;
}
