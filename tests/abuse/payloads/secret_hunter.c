// The attacker sandbox, run while secret_keeper holds its secrets in another sandbox:
// searches every place it can reach for them.
#include <dirent.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "common.h"

#define KEEPER_KEY 0x52554e4c

// The keeper's secrets start with this marker; it is decoded at run time so that this
// program's own file does not contain it.
static char g_marker[16];
static int g_found;

static void DecodeMarker(void) {
  const char encoded[] = "SVOMFUTFDSFU";  // each letter shifted by one
  for (size_t i = 0; i + 1 < sizeof encoded; ++i) g_marker[i] = (char)(encoded[i] - 1);
}

static void Found(const char* where) {
  printf("FAIL found the other sandbox's secret in %s\n", where);
  g_found++;
  g_failures++;
}

static void CheckContent(const char* path) {
  static char buf[1 << 16];
  long n = ReadFile(path, buf, sizeof buf - 1);
  if (n <= 0) return;
  buf[n] = 0;
  for (long i = 0; i < n; ++i) {
    if (buf[i] == 0) buf[i] = ' ';
  }
  if (strstr(buf, g_marker)) Found(path);
}

// Names everywhere; contents of files in the writable places.
static void Walk(const char* dir, int depth, int read_contents) {
  if (depth > 12) return;
  DIR* d = opendir(dir);
  if (!d) return;
  struct dirent* e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", strcmp(dir, "/") ? dir : "", e->d_name);
    if (!strcmp(path, "/proc")) continue;
    if (strstr(e->d_name, g_marker)) Found(path);
    struct stat st;
    if (lstat(path, &st) < 0) continue;
    if (S_ISDIR(st.st_mode)) {
      int contents = read_contents || !strcmp(path, "/work") || !strcmp(path, "/tmp") ||
                     !strcmp(path, "/dev/shm");
      Walk(path, depth + 1, contents);
    } else if (S_ISREG(st.st_mode) && read_contents) {
      CheckContent(path);
    }
  }
  closedir(d);
}

static void WalkProc(void) {
  DIR* d = opendir("/proc");
  if (!d) return;
  struct dirent* e;
  int processes = 0;
  while ((e = readdir(d))) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    processes++;
    char path[512];
    const char* files[] = {"cmdline", "environ", "comm"};
    for (size_t i = 0; i < 3; ++i) {
      snprintf(path, sizeof path, "/proc/%s/%s", e->d_name, files[i]);
      CheckContent(path);
    }
    const char* dirs[] = {"root/work", "root/tmp", "root/dev/shm", "cwd"};
    for (size_t i = 0; i < 4; ++i) {
      snprintf(path, sizeof path, "/proc/%s/%s", e->d_name, dirs[i]);
      Walk(path, 0, 1);
    }
  }
  closedir(d);
  printf("processes visible: %s\n", processes <= 2 ? "only this sandbox's" : "more");
}

int main(void) {
  DecodeMarker();
  Walk("/", 0, 0);
  WalkProc();
  CheckContent("/proc/sysvipc/shm");
  CheckContent("/proc/sysvipc/msg");
  CheckContent("/proc/sysvipc/sem");
  REFUSED("shmget(keeper's key)", shmget(KEEPER_KEY, 0, 0), ENOENT);
  REFUSED("msgget(keeper's key)", msgget(KEEPER_KEY, 0), ENOENT);
  REFUSED("semget(keeper's key)", semget(KEEPER_KEY, 0, 0), ENOENT);
  int sock = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  const char name[] = "runlet-abuse-keeper";
  memcpy(addr.sun_path + 1, name, sizeof name - 1);
  REFUSED("connect to keeper's abstract socket",
          connect(sock, (struct sockaddr*)&addr, (socklen_t)(sizeof(sa_family_t) + 1 + sizeof name - 1)),
          ECONNREFUSED);
  if (!g_found) printf("secret not found\n");
  return Finish();
}
