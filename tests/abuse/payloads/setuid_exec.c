// Executes the host's setuid-root programs and watches, from outside, with which
// effective uid they run. argv: the programs (each run with a stdin that never ends).
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "common.h"

// Effective uid of `pid` from /proc, or -1.
static long EffectiveUid(pid_t pid) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  long n = ReadFile(path, buf, sizeof buf - 1);
  if (n <= 0) return -1;
  buf[n] = 0;
  const char* line = strstr(buf, "\nUid:");
  long real, effective;
  if (!line || sscanf(line, "\nUid:\t%ld\t%ld", &real, &effective) != 2) return -1;
  return effective;
}

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    int in[2];
    if (pipe(in) < 0) return 2;
    pid_t child = fork();
    if (child == 0) {
      dup2(in[0], 0);
      int null = open("/dev/null", O_WRONLY);
      dup2(null, 1);
      dup2(null, 2);
      execl(argv[i], argv[i], NULL);
      _exit(127);
    }
    close(in[0]);
    long highest_privilege = 1000;
    int status = 0;
    for (int t = 0; t < 300; ++t) {
      long euid = EffectiveUid(child);
      if (euid >= 0 && euid < highest_privilege) highest_privilege = euid;
      if (waitpid(child, &status, WNOHANG) == child) break;
      struct timespec ts = {0, 1000000};
      nanosleep(&ts, NULL);
    }
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    close(in[1]);
    if (highest_privilege != 1000) {
      printf("FAIL %s ran with euid %ld\n", argv[i], highest_privilege);
      g_failures++;
    } else {
      printf("%s stayed uid 1000\n", argv[i]);
    }
  }
  return Finish();
}
