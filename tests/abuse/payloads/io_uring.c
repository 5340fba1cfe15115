// io_uring runs requests in kernel threads beyond seccomp's reach: it must not exist.
#include <linux/io_uring.h>
#include <sys/syscall.h>

#include "common.h"

int main(void) {
  struct io_uring_params params;
  memset(&params, 0, sizeof params);
  REFUSED("io_uring_setup", syscall(SYS_io_uring_setup, 8, &params), ENOSYS);
  REFUSED("io_uring_enter", syscall(SYS_io_uring_enter, 0, 1, 0, 0, NULL, 0), ENOSYS);
  REFUSED("io_uring_register", syscall(SYS_io_uring_register, 0, 0, NULL, 0), ENOSYS);
  return Finish();
}
