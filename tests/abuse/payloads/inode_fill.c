// Creates empty files until the file system runs out of inodes.
#include "common.h"

int main(void) {
  long created = 0;
  for (;;) {
    char path[64];
    snprintf(path, sizeof path, "/work/i%ld", created);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
      printf("created %ld files, then %s\n", created, ErrnoName(errno));
      if (errno != ENOSPC) Fail("inode fill", "did not end with ENOSPC");
      break;
    }
    close(fd);
    created++;
    if (created > 10 * 1000 * 1000) {
      Fail("inode fill", "no inode limit");
      break;
    }
  }
  // The space is full, but the program can still free some and go on.
  if (unlink("/work/i0") < 0) Fail("unlink after inode fill", ErrnoName(errno));
  return Finish();
}
