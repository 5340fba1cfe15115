// Reaches for the supervisor through /proc, given the host pids of the runlet supervisor
// and of the test on stdin. Everything readable about pid 1 (the sandbox's init, a copy of the
// supervisor) is printed, so the test can check no secret of the supervisor is in it.
#include <dirent.h>
#include <sys/stat.h>

#include "common.h"

static void Dump(const char* path) {
  static char buf[8192];
  long n = ReadFile(path, buf, sizeof buf - 1);
  if (n < 0) {
    printf("unreadable %s: %s\n", path, ErrnoName(errno));
    return;
  }
  for (long i = 0; i < n; ++i) {
    if (buf[i] == 0 || buf[i] == '\n') buf[i] = ' ';
  }
  buf[n] = 0;
  printf("content %s: %s\n", path, buf);
}

int main(void) {
  char path[512], what[600];
  long pids[8];
  int count = ReadNumbers(pids, 8);
  if (count == 0) Fail("stdin", "no host pids given");
  for (int i = 0; i < count; ++i) {
    const char* entries[] = {"root/etc/hostname", "environ", "cmdline", "mem", "cwd/."};
    for (size_t e = 0; e < sizeof entries / sizeof *entries; ++e) {
      snprintf(path, sizeof path, "/proc/%ld/%s", pids[i], entries[e]);
      snprintf(what, sizeof what, "open /proc/<host pid>/%s", entries[e]);
      REFUSED(what, open(path, O_RDONLY), ENOENT);
    }
  }
  // The sandbox's init: a copy of the supervisor, not dumpable.
  REFUSED("open /proc/1/root/.", open("/proc/1/root/.", O_RDONLY), EACCES);
  REFUSED("open /proc/1/cwd/.", open("/proc/1/cwd/.", O_RDONLY), EACCES);
  REFUSED("open /proc/1/environ", open("/proc/1/environ", O_RDONLY), EACCES);
  REFUSED("open /proc/1/mem", open("/proc/1/mem", O_RDONLY), EACCES);
  REFUSED("open /proc/1/fd", open("/proc/1/fd", O_RDONLY | O_DIRECTORY), EACCES);
  REFUSED("open /proc/1/maps", open("/proc/1/maps", O_RDONLY), EACCES);
  REFUSED("open /proc/1/auxv", open("/proc/1/auxv", O_RDONLY), EACCES);
  REFUSED("open /proc/1/stack", open("/proc/1/stack", O_RDONLY), EACCES);
  char link[256];
  REFUSED("readlink /proc/1/exe", readlink("/proc/1/exe", link, sizeof link), EACCES);
  REFUSED("readlink /proc/1/root", readlink("/proc/1/root", link, sizeof link), EACCES);
  // Whatever else is readable is dumped for the test to inspect.
  DIR* d = opendir("/proc/1");
  if (d) {
    struct dirent* e;
    while ((e = readdir(d))) {
      if (e->d_type != DT_REG || !strcmp(e->d_name, "pagemap") || !strcmp(e->d_name, "mem") ||
          !strcmp(e->d_name, "clear_refs"))
        continue;
      snprintf(path, sizeof path, "/proc/1/%s", e->d_name);
      Dump(path);
    }
    closedir(d);
  }
  Dump("/proc/self/environ");
  return Finish();
}
