// userfaultfd lets a program stall the kernel mid-copy: a favourite exploit primitive.
#include <sys/syscall.h>

#include "common.h"

int main(void) {
  REFUSED("userfaultfd(0)", syscall(SYS_userfaultfd, 0), EPERM);
  REFUSED("userfaultfd(O_CLOEXEC)", syscall(SYS_userfaultfd, O_CLOEXEC), EPERM);
  REFUSED("open /dev/userfaultfd", open("/dev/userfaultfd", O_RDWR), ENOENT);
  return Finish();
}
