// Allocates and touches memory forever.
#include <stdlib.h>
#include <string.h>

int main(void) {
  for (;;) {
    char* block = malloc(1 << 20);
    if (!block) continue;
    memset(block, 0x5a, 1 << 20);
  }
}
