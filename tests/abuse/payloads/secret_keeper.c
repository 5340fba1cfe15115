// The victim sandbox: leaves a secret (argv[1]) everywhere it can — files in /work, /tmp
// and /dev/shm, its own command line, SysV shared memory, a message queue, a semaphore
// set and an abstract unix socket — then renames itself "keeper-ready" and waits for the
// test's go on stdin. At the end it reports whether anyone connected to its socket.
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "common.h"

#define KEEPER_KEY 0x52554e4c

static void WriteSecret(const char* dir, const char* secret) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, secret);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, secret, strlen(secret)) < 0) Fail("write secret", path);
  if (fd >= 0) close(fd);
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const char* secret = argv[1];
  WriteSecret("/work", secret);
  WriteSecret("/tmp", secret);
  WriteSecret("/dev/shm", secret);
  int shm = shmget(KEEPER_KEY, 4096, IPC_CREAT | 0666);
  if (shm < 0) {
    Fail("shmget", ErrnoName(errno));
  } else {
    char* mem = shmat(shm, NULL, 0);
    if (mem != (void*)-1) strcpy(mem, secret);
  }
  if (msgget(KEEPER_KEY, IPC_CREAT | 0666) < 0) Fail("msgget", ErrnoName(errno));
  if (semget(KEEPER_KEY, 1, IPC_CREAT | 0666) < 0) Fail("semget", ErrnoName(errno));
  int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  const char name[] = "runlet-abuse-keeper";
  memcpy(addr.sun_path + 1, name, sizeof name - 1);
  if (bind(sock, (struct sockaddr*)&addr, (socklen_t)(sizeof(sa_family_t) + 1 + sizeof name - 1)) < 0 ||
      listen(sock, 8) < 0)
    Fail("abstract socket", ErrnoName(errno));
  printf("secrets placed\n");
  fflush(stdout);
  prctl(PR_SET_NAME, "keeper-ready");
  WaitForGo();
  if (accept(sock, NULL, NULL) >= 0) {
    Fail("abstract socket", "someone connected");
  } else {
    printf("nobody connected\n");
  }
  return Finish();
}
