// Reboot, power off, or load a new kernel.
#include <linux/reboot.h>
#include <sys/syscall.h>

#include "common.h"

int main(void) {
  REFUSED("reboot(RESTART)",
          syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_RESTART, NULL),
          EPERM);
  REFUSED("reboot(POWER_OFF)",
          syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF, NULL),
          EPERM);
  REFUSED("reboot(CAD_OFF)",
          syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_CAD_OFF, NULL),
          EPERM);
  REFUSED("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0), EPERM);
  REFUSED("kexec_file_load", syscall(SYS_kexec_file_load, -1, -1, 0, "", 0), EPERM);
  return Finish();
}
