// Looks for the host's secrets. argv: host paths the test created (world-readable) that
// must not exist in here.
#include <dirent.h>
#include <sys/stat.h>

#include "common.h"

// Reads a file the host keeps from other users: it must be refused or read as empty.
static void ExpectNoData(const char* path) {
  static char buf[65536];
  errno = 0;
  long n = ReadFile(path, buf, sizeof buf);
  if (n < 0 && (errno == EACCES || errno == ENOENT || errno == EPERM)) {
    printf("no data from %s\n", path);
  } else if (n == 0) {
    printf("no data from %s\n", path);
  } else if (n > 0) {
    printf("FAIL read %ld bytes of %s\n", n, path);
    g_failures++;
  } else {
    printf("FAIL read %s: unexpected %s\n", path, ErrnoName(errno));
    g_failures++;
  }
}

// Files under `dir` that other users may not read on the host stay unreadable here.
static void CheckPrivateFiles(const char* dir, int depth, int* hidden) {
  if (depth > 8) return;
  DIR* d = opendir(dir);
  if (!d) return;
  struct dirent* e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct stat st;
    if (lstat(path, &st) < 0) continue;
    if (S_ISDIR(st.st_mode)) {
      CheckPrivateFiles(path, depth + 1, hidden);
    } else if (S_ISREG(st.st_mode) && !(st.st_mode & S_IROTH)) {
      char buf[256];
      long n = ReadFile(path, buf, sizeof buf);
      if (n > 0) {
        printf("FAIL read private host file %s\n", path);
        g_failures++;
      } else {
        (*hidden)++;
      }
    }
  }
  closedir(d);
}

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    char what[4200];
    snprintf(what, sizeof what, "open %s", argv[i]);
    REFUSED(what, open(argv[i], O_RDONLY), ENOENT);
  }
  struct stat st;
  const char* absent[] = {"/root", "/home", "/var", "/srv", "/mnt", "/boot", "/sys", "/run",
                          "/opt", "/media"};
  for (size_t i = 0; i < sizeof absent / sizeof *absent; ++i) {
    char what[64];
    snprintf(what, sizeof what, "stat %s", absent[i]);
    REFUSED(what, stat(absent[i], &st), ENOENT);
  }
  ExpectNoData("/etc/shadow");
  ExpectNoData("/etc/gshadow");
  ExpectNoData("/proc/1/environ");
  int hidden = 0;
  CheckPrivateFiles("/etc", 0, &hidden);
  printf("private files under /etc checked\n");
  return Finish();
}
