// Tries to keep more than the memory limit in RAM by writing it to tmpfs (/dev/shm),
// whose pages are not the process's own memory. argv[1]: megabytes to write.
#include "common.h"

int main(int argc, char** argv) {
  long megabytes = argc > 1 ? atol(argv[1]) : 64;
  static char block[1 << 20];
  memset(block, 0x5a, sizeof block);
  int fd = open("/dev/shm/hoard", O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) {
    Fail("open /dev/shm/hoard", ErrnoName(errno));
    return Finish();
  }
  long written = 0;
  for (long i = 0; i < megabytes; ++i) {
    ssize_t n = write(fd, block, sizeof block);
    if (n < 0) {
      printf("write stopped after %ld MiB: %s\n", written, ErrnoName(errno));
      return Finish();
    }
    written++;
  }
  printf("FAIL hoarded %ld MiB in /dev/shm\n", written);
  return 1;
}
