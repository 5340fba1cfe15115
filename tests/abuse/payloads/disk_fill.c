// Fills the writable space (/work, then /tmp and /dev/shm, which share it) until the
// kernel says ENOSPC, then reports how much it got and exits 0.
#include <signal.h>

#include "common.h"

static long long FillDirectory(const char* dir, int* last_errno) {
  static char block[64 * 1024];
  memset(block, 0x42, sizeof block);
  long long total = 0;
  for (int file = 0;; ++file) {
    char path[256];
    snprintf(path, sizeof path, "%s/fill-%d", dir, file);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
      *last_errno = errno;
      return total;
    }
    // Files of 1 MiB at most, so the file size limit is never the one hit.
    for (int i = 0; i < 16; ++i) {
      ssize_t n = write(fd, block, sizeof block);
      if (n < 0) {
        *last_errno = errno;
        close(fd);
        return total;
      }
      total += n;
      if (n < (ssize_t)sizeof block) break;
    }
    close(fd);
  }
}

int main(void) {
  signal(SIGXFSZ, SIG_IGN);
  long long total = 0;
  const char* dirs[] = {"/work", "/tmp", "/dev/shm"};
  for (int i = 0; i < 3; ++i) {
    int err = 0;
    long long got = FillDirectory(dirs[i], &err);
    printf("%s: %lld bytes, then %s\n", dirs[i], got, ErrnoName(err));
    if (err != ENOSPC) Fail(dirs[i], "did not end with ENOSPC");
    total += got;
  }
  printf("total %lld\n", total);
  return Finish();
}
