// Crashes a child on purpose and checks that no core file appears anywhere it can see.
#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "common.h"

static int CoreFilesIn(const char* dir) {
  DIR* d = opendir(dir);
  if (!d) return 0;
  int found = 0;
  struct dirent* e;
  // "core" or "core.<pid>" (not this payload's own file, core_dump).
  while ((e = readdir(d))) found += strcmp(e->d_name, "core") == 0 || strncmp(e->d_name, "core.", 5) == 0;
  closedir(d);
  return found;
}

int main(void) {
  struct rlimit rl;
  getrlimit(RLIMIT_CORE, &rl);
  printf("RLIMIT_CORE %llu/%llu\n", (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
  struct rlimit more = {RLIM_INFINITY, RLIM_INFINITY};
  REFUSED("raise RLIMIT_CORE", setrlimit(RLIMIT_CORE, &more), EPERM);
  prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  const int signals[] = {SIGSEGV, SIGABRT, SIGQUIT};
  for (int i = 0; i < 3; ++i) {
    pid_t child = fork();
    if (child == 0) {
      signal(signals[i], SIG_DFL);
      raise(signals[i]);
      _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != signals[i]) Fail("crash", "child did not die");
    if (WCOREDUMP(status)) Fail("crash", "the kernel reports a core dump");
  }
  int cores = CoreFilesIn("/work") + CoreFilesIn("/tmp") + CoreFilesIn("/");
  if (cores) Fail("core files", "found");
  else printf("no core dumped\n");
  return Finish();
}
