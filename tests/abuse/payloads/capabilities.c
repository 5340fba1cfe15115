// Capabilities: none in any set, and none to be had.
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "common.h"

int main(void) {
  char status[8192];
  long n = ReadFile("/proc/self/status", status, sizeof status - 1);
  if (n <= 0) return 2;
  status[n] = 0;
  const char* fields[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp"};
  for (size_t i = 0; i < sizeof fields / sizeof *fields; ++i) {
    char key[32];
    snprintf(key, sizeof key, "\n%s:", fields[i]);
    const char* line = strstr(status, key);
    if (!line) continue;
    line += strlen(key);
    while (*line == '\t' || *line == ' ') line++;
    printf("%s %.*s\n", fields[i], (int)strcspn(line, "\n"), line);
  }
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0xff, sizeof data);
  REFUSED("capset(all)", syscall(SYS_capset, &header, data), EPERM);
  REFUSED("PR_CAP_AMBIENT_RAISE(CAP_SYS_ADMIN)", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SYS_ADMIN, 0, 0),
          EPERM);
  REFUSED("PR_SET_SECUREBITS(0)", prctl(PR_SET_SECUREBITS, 0, 0, 0, 0), EPERM);
  REFUSED("PR_SET_NO_NEW_PRIVS(0)", prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0), EINVAL);
  return Finish();
}
