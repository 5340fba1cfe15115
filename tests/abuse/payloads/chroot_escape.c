// The classic chroot escape (chroot into a subdirectory while holding a descriptor of the
// old root, then walk up past it), and plain walks up from everywhere.
#include <dirent.h>
#include <sys/stat.h>

#include "common.h"

// The sandbox's root has /work and no /home, /root or /var.
static int LooksLikeSandboxRoot(void) {
  struct stat st;
  return stat("/work", &st) == 0 && stat("/home", &st) < 0 && stat("/root", &st) < 0 &&
         stat("/var", &st) < 0;
}

int main(void) {
  mkdir("/tmp/jail", 0755);
  int old_root = open("/", O_RDONLY | O_DIRECTORY);
  REFUSED("chroot(/tmp/jail)", chroot("/tmp/jail"), EPERM);
  if (fchdir(old_root) < 0) Fail("fchdir", ErrnoName(errno));
  for (int i = 0; i < 64; ++i) {
    if (chdir("..") < 0) break;
  }
  REFUSED("chroot(.) after walking up", chroot("."), EPERM);
  char cwd[4096];
  if (!getcwd(cwd, sizeof cwd) || strcmp(cwd, "/") != 0) Fail("walk up", "did not end at /");
  struct stat here, root;
  stat(".", &here);
  stat("/", &root);
  if (here.st_ino != root.st_ino || here.st_dev != root.st_dev) Fail("walk up", "left the root");
  // Up from /proc/self/root and /proc/1/root.
  REFUSED("open /proc/1/root/..", open("/proc/1/root/..", O_RDONLY | O_DIRECTORY), EACCES);
  int self_root = open("/proc/self/root/../../..", O_RDONLY | O_DIRECTORY);
  struct stat via_proc;
  if (self_root < 0 || fstat(self_root, &via_proc) < 0 || via_proc.st_ino != root.st_ino ||
      via_proc.st_dev != root.st_dev)
    Fail("/proc/self/root/../../..", "is not the root");
  // Up from a directory that was moved away from under a descriptor.
  mkdir("/tmp/a", 0755);
  mkdir("/tmp/a/b", 0755);
  int deep = open("/tmp/a/b", O_RDONLY | O_DIRECTORY);
  rename("/tmp/a/b", "/work/b");
  if (fchdir(deep) == 0) {
    for (int i = 0; i < 64; ++i) {
      if (chdir("..") < 0) break;
    }
  }
  if (!LooksLikeSandboxRoot()) Fail("walk up after rename", "reached a different root");
  struct stat end;
  stat(".", &end);
  if (end.st_ino != root.st_ino || end.st_dev != root.st_dev) Fail("walk up after rename", "left the root");
  if (LooksLikeSandboxRoot()) printf("still inside the sandbox root\n");
  return Finish();
}
