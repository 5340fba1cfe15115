// Tries to change the read-only root file system in every way it can think of.
#include <dirent.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "common.h"

// Every directory of the root that the sandbox user could write to by its permissions
// (world-writable, or owned by it) must still refuse: the mount is read-only.
static int CheckWritableDirs(const char* dir, int depth, int* checked) {
  if (depth > 6) return 0;
  DIR* d = opendir(dir);
  if (!d) return 0;
  struct dirent* e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", strcmp(dir, "/") ? dir : "", e->d_name);
    // The sandbox's own writable space, and /proc (checked elsewhere).
    if (!strcmp(path, "/work") || !strcmp(path, "/tmp") || !strcmp(path, "/dev/shm") ||
        !strcmp(path, "/proc"))
      continue;
    struct stat st;
    if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode)) continue;
    if (access(path, W_OK) == 0 || (st.st_mode & S_IWOTH) || st.st_uid == getuid()) {
      char probe[4200];
      snprintf(probe, sizeof probe, "%s/.runlet-probe", path);
      int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0600);
      if (fd >= 0) {
        close(fd);
        Fail("create in writable-looking directory", path);
      }
      (*checked)++;
    }
    CheckWritableDirs(path, depth + 1, checked);
  }
  closedir(d);
  return 0;
}

int main(void) {
  REFUSED("create /usr/evil", open("/usr/evil", O_WRONLY | O_CREAT, 0644), EROFS, EACCES);
  REFUSED("create /evil", open("/evil", O_WRONLY | O_CREAT, 0644), EROFS, EACCES);
  REFUSED("mkdir /evil", mkdir("/evil", 0755), EROFS, EACCES);
  REFUSED("write /etc/passwd", open("/etc/passwd", O_WRONLY | O_APPEND), EROFS, EACCES);
  REFUSED("write /etc/hosts", open("/etc/hosts", O_WRONLY | O_APPEND), EROFS, EACCES);
  REFUSED("truncate /bin/sh", truncate("/bin/sh", 0), EROFS, EACCES);
  REFUSED("unlink /usr/bin/env", unlink("/usr/bin/env"), EROFS, EACCES);
  REFUSED("rename /etc/hostname", rename("/etc/hostname", "/etc/hostname.old"), EROFS, EACCES);
  REFUSED("chmod /usr/bin/env", chmod("/usr/bin/env", 04777), EROFS, EPERM);
  REFUSED("chown /usr/bin/env", chown("/usr/bin/env", 1000, 1000), EROFS, EPERM);
  REFUSED("utimes /etc/hostname", utimes("/etc/hostname", NULL), EROFS, EACCES, EPERM);
  REFUSED("symlink /lib/evil", symlink("/work", "/lib/evil"), EROFS, EACCES);
  REFUSED("link into /usr", link("/work/readonly_root", "/usr/evil"), EROFS, EACCES, EXDEV);
  REFUSED("mkdir /proc/evil", mkdir("/proc/evil", 0755), ENOENT, EACCES, EROFS);
  REFUSED("create /dev/evil", open("/dev/evil", O_WRONLY | O_CREAT, 0644), EROFS, EACCES);
  int checked = 0;
  CheckWritableDirs("/", 0, &checked);
  printf("writable-looking directories probed: %d\n", checked);
  return Finish();
}
