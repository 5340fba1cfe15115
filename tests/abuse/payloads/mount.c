// Tries to change the mount table: mount, remount, bind, unmount, the new mount API.
#include <sys/mount.h>
#include <sys/syscall.h>

#include "common.h"

int main(void) {
  REFUSED("mount tmpfs on /tmp", mount("none", "/tmp", "tmpfs", 0, NULL), EPERM);
  REFUSED("mount proc on /work", mount("proc", "/work", "proc", 0, NULL), EPERM);
  REFUSED("bind / on /work", mount("/", "/work", NULL, MS_BIND | MS_REC, NULL), EPERM);
  REFUSED("remount /usr read-write", mount(NULL, "/usr", NULL, MS_REMOUNT | MS_BIND, NULL), EPERM);
  REFUSED("remount /proc/sys read-write", mount(NULL, "/proc/sys", NULL, MS_REMOUNT | MS_BIND, NULL),
          EPERM);
  REFUSED("umount /etc/shadow", umount2("/etc/shadow", MNT_DETACH), EPERM);
  REFUSED("umount /proc/sys", umount2("/proc/sys", MNT_DETACH), EPERM);
  REFUSED("fsopen(tmpfs)", syscall(SYS_fsopen, "tmpfs", 0), EPERM);
  REFUSED("open_tree(/)", syscall(SYS_open_tree, AT_FDCWD, "/", 1 /* OPEN_TREE_CLONE */), EPERM);
  REFUSED("move_mount", syscall(SYS_move_mount, AT_FDCWD, "/tmp", AT_FDCWD, "/work", 0), EPERM);
  REFUSED("mount_setattr", syscall(SYS_mount_setattr, AT_FDCWD, "/usr", 0, NULL, 0), EPERM);
  REFUSED("pivot_root", syscall(SYS_pivot_root, "/work", "/work"), EPERM);
  return Finish();
}
