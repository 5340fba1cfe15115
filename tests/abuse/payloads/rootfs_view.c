// Run on a hostile root file system (tests/abuse: symlinks to host paths at Runlet's own
// names and where the sandbox mounts): what the program sees must be the sandbox's own,
// whatever the root's symlinks said. Prints one line per look.
#include <sys/stat.h>

#include "common.h"

static void Writable(const char* dir) {
  char path[256];
  snprintf(path, sizeof path, "%s/rootfs-view-probe", dir);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    printf("FAIL write in %s: %s\n", dir, ErrnoName(errno));
    g_failures++;
    return;
  }
  close(fd);
  unlink(path);
  printf("%s is the sandbox's own\n", dir);
}

int main(void) {
  Writable("/work");
  Writable("/tmp");
  struct stat st;
  if (stat("/proc/self/status", &st) == 0) {
    printf("/proc is the sandbox's own\n");
  } else {
    Fail("/proc", ErrnoName(errno));
  }
  if (stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode)) {
    printf("/dev/null is a device\n");
  } else {
    Fail("/dev/null", "missing or not a device");
  }
  if (lstat("/.runlet", &st) == 0 && S_ISDIR(st.st_mode)) {
    printf("/.runlet is the sandbox's directory\n");
  } else {
    Fail("/.runlet", "missing or not a directory");
  }
  static char passwd[4096];
  long n = ReadFile("/etc/passwd", passwd, sizeof passwd - 1);
  if (n >= 0) {
    passwd[n] = 0;
    printf("%s\n", strstr(passwd, "runner:x:1000:") ? "/etc/passwd is the runner's" : "/etc/passwd is the image's");
  } else {
    printf("/etc/passwd: %s\n", ErrnoName(errno));
  }
  return Finish();
}
