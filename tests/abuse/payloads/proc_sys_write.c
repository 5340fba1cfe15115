// Writes to the kernel's knobs: /proc/sys, sysrq, its own id maps.
#include "common.h"

static void TryWrite(const char* path, const char* text) {
  char what[300];
  snprintf(what, sizeof what, "write %s", path);
  errno = 0;
  int fd = open(path, O_WRONLY);
  if (fd < 0) {
    // ENOENT: a knob this kernel does not have (modprobe without module support).
    CheckRefused(what, -1, errno, (const int[]){EACCES, EROFS, EPERM, ENOENT, 0});
    return;
  }
  errno = 0;
  long n = write(fd, text, strlen(text));
  int err = errno;
  close(fd);
  CheckRefused(what, n, err, (const int[]){EACCES, EROFS, EPERM, 0});
}

int main(void) {
  TryWrite("/proc/sys/kernel/core_pattern", "|/work/evil");
  TryWrite("/proc/sys/kernel/modprobe", "/work/evil");
  TryWrite("/proc/sys/kernel/hostname", "evil");
  TryWrite("/proc/sys/vm/drop_caches", "3");
  TryWrite("/proc/sys/kernel/ns_last_pid", "1000");
  TryWrite("/proc/sys/net/ipv4/ip_forward", "1");
  TryWrite("/proc/sysrq-trigger", "b");
  TryWrite("/proc/self/uid_map", "0 0 1\n");
  TryWrite("/proc/self/gid_map", "0 0 1\n");
  TryWrite("/proc/self/setgroups", "allow");
  return Finish();
}
