// Loading or unloading kernel modules.
#include <sys/syscall.h>

#include "common.h"

int main(void) {
  static char image[4096] = "\177ELF";
  REFUSED("init_module", syscall(SYS_init_module, image, sizeof image, ""), EPERM);
  int fd = open("/work/modules", O_RDONLY);
  REFUSED("finit_module", syscall(SYS_finit_module, fd, "", 0), EPERM);
  REFUSED("delete_module(ext4)", syscall(SYS_delete_module, "ext4", O_NONBLOCK), EPERM);
  REFUSED("open /lib/modules for modprobe", open("/proc/sys/kernel/modprobe", O_WRONLY), EACCES, EROFS, ENOENT);
  return Finish();
}
