#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Keeps 1 GiB alive, 16 MiB at a time, touching every page. */
int main(void) {
  enum { kChunk = 16 << 20 };
  char* chunks[64];
  for (int i = 0; i < 64; ++i) {
    chunks[i] = malloc(kChunk);
    if (!chunks[i]) return 1;
    memset(chunks[i], 'x', kChunk);
  }
  printf("allocated %d MiB\n", 64 * 16);
  return chunks[63][0] == 'x' ? 0 : 1;
}
