#include <stdio.h>

#include "greet/greet.h"
#include "mathutil.h"

int main(void) {
  char line[64];
  printf("add(3, 4) = %d\n", add(3, 4));
  greeting(line, sizeof line, GREET_NAME);
  puts(line);
  return 0;
}
