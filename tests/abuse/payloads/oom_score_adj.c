// Makes itself the OOM killer's last choice (which would push it onto host processes).
#include "common.h"

static long ReadNumber(const char* path) {
  char buf[32];
  long n = ReadFile(path, buf, sizeof buf - 1);
  if (n <= 0) return -99999;
  buf[n] = 0;
  return atol(buf);
}

static void TryWrite(const char* path, const char* value) {
  char what[128];
  snprintf(what, sizeof what, "write %s to %s", value, path);
  int fd = open(path, O_WRONLY);
  if (fd < 0) {
    CheckRefused(what, -1, errno, (const int[]){EACCES, 0});
    return;
  }
  errno = 0;
  long n = write(fd, value, strlen(value));
  int err = errno;
  close(fd);
  CheckRefused(what, n, err, (const int[]){EACCES, 0});
}

int main(void) {
  long before = ReadNumber("/proc/self/oom_score_adj");
  TryWrite("/proc/self/oom_score_adj", "-1000");
  TryWrite("/proc/self/oom_score_adj", "-1");
  TryWrite("/proc/self/oom_adj", "-17");
  TryWrite("/proc/1/oom_score_adj", "1000");
  long after = ReadNumber("/proc/self/oom_score_adj");
  if (after != before || after < 0) Fail("oom_score_adj", "changed or below 0");
  else printf("oom_score_adj unchanged\n");
  return Finish();
}
