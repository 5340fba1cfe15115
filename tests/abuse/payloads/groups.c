// Identity: one uid and gid, no supplementary groups, and no way to change any of them.
#include <grp.h>
#include <sys/fsuid.h>

#include "common.h"

int main(void) {
  gid_t groups[256];
  int count = getgroups(256, groups);
  int others = 0;
  for (int i = 0; i < count; ++i) others += groups[i] != 1000;
  if (count < 0 || others) Fail("getgroups", "foreign supplementary groups");
  else printf("supplementary groups: %s\n", count ? "1000 only" : "none");
  printf("uid %d euid %d gid %d egid %d\n", getuid(), geteuid(), getgid(), getegid());
  gid_t root_group = 0;
  REFUSED("setgroups([0])", setgroups(1, &root_group), EPERM);
  REFUSED("setuid(0)", setuid(0), EPERM, EINVAL);
  REFUSED("setgid(0)", setgid(0), EPERM, EINVAL);
  REFUSED("setresuid(0, 0, 0)", setresuid(0, 0, 0), EPERM, EINVAL);
  REFUSED("setreuid(-1, 0)", setreuid((uid_t)-1, 0), EPERM, EINVAL);
  setfsuid(0);
  if (setfsuid((uid_t)-1) != 1000) Fail("setfsuid(0)", "changed the file system uid");
  else printf("setfsuid(0) had no effect\n");
  return Finish();
}
