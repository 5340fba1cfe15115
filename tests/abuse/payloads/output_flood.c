// Writes to stdout (or, with argv[1] "stderr", to stderr) forever.
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  int fd = argc > 1 && strcmp(argv[1], "stderr") == 0 ? 2 : 1;
  static char block[8192];
  memset(block, 'A', sizeof block);
  for (;;) {
    if (write(fd, block, sizeof block) < 0) return 3;
  }
}
