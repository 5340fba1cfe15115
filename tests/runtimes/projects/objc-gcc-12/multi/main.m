#include <stdio.h>
#import "mathutil.h"
#import "lib/greet.h"

int main(void) {
  printf("add(3, 4) = %d\n", [MathUtil add:3 to:4]);
  puts([Greet greeting]);
  return 0;
}
