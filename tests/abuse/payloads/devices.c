// Reaches for hardware: host block devices, memory, kernel log, terminals; makes device
// nodes of its own.
#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "common.h"

int main(void) {
  const char* absent[] = {"/dev/sda", "/dev/vda", "/dev/nvme0n1", "/dev/mem", "/dev/kmem",
                          "/dev/port", "/dev/kmsg", "/dev/tty", "/dev/console", "/dev/tty0",
                          "/dev/fuse", "/dev/net/tun", "/dev/kvm", "/dev/loop0",
                          "/dev/loop-control", "/dev/userfaultfd", "/dev/cpu/0/msr"};
  char what[128];
  for (size_t i = 0; i < sizeof absent / sizeof *absent; ++i) {
    snprintf(what, sizeof what, "open %s", absent[i]);
    REFUSED(what, open(absent[i], O_RDWR), ENOENT);
  }
  REFUSED("mknod /tmp/mem (char 1:1)", mknod("/tmp/mem", S_IFCHR | 0666, makedev(1, 1)), EPERM);
  REFUSED("mknod /work/vda (block 254:0)", mknod("/work/vda", S_IFBLK | 0666, makedev(254, 0)), EPERM);
  REFUSED("mknod /dev/shm/kmsg (char 1:11)", mknod("/dev/shm/kmsg", S_IFCHR | 0666, makedev(1, 11)),
          EPERM);
  // Every device node in /dev is one of the harmless ones.
  const char* allowed[] = {"null", "zero", "full", "random", "urandom", "tty", "ptmx"};
  DIR* d = opendir("/dev");
  struct dirent* e;
  int unexpected = 0;
  while (d && (e = readdir(d))) {
    char path[300];
    snprintf(path, sizeof path, "/dev/%s", e->d_name);
    struct stat st;
    if (lstat(path, &st) < 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) continue;
    int ok = 0;
    for (size_t i = 0; i < sizeof allowed / sizeof *allowed; ++i) ok |= !strcmp(e->d_name, allowed[i]);
    if (!ok || S_ISBLK(st.st_mode)) {
      Fail("unexpected device", path);
      unexpected++;
    }
  }
  if (d) closedir(d);
  if (!unexpected) printf("/dev holds only harmless devices\n");
  return Finish();
}
