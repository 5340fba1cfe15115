// TIOCSTI pushes bytes into a terminal's input, as if typed: a classic escape from
// sandboxes that share the caller's terminal.
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "common.h"

int main(void) {
  char c = 'x';
  REFUSED("ioctl(0, TIOCSTI)", ioctl(0, TIOCSTI, &c), EPERM);
  REFUSED("ioctl(1, TIOCSTI)", ioctl(1, TIOCSTI, &c), EPERM);
  REFUSED("ioctl(0, TIOCSTI | 1<<32)", syscall(SYS_ioctl, 0, (unsigned long)TIOCSTI | (1UL << 32), &c), EPERM);
  REFUSED("ioctl(0, TIOCLINUX)", ioctl(0, TIOCLINUX, &c), EPERM);
  REFUSED("open /dev/tty", open("/dev/tty", O_RDWR), ENOENT, ENXIO);
  return Finish();
}
