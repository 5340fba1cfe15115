/* The sandbox tests' program under test: one static binary, one verb per behaviour, so
 * each end-to-end test reads as a single command line. Plain C, no allocations beyond
 * what a verb is about, output written with write(2) so nothing sits in a stdio buffer.
 *
 *   spin MS              burn MS ms of this process's own CPU time, then exit 0
 *   spin-forever         burn CPU until killed
 *   spin-procs N MS      N processes (this one and N-1 children) each burn MS ms of CPU
 *   sleep MS             sleep MS ms of wall time, then exit 0
 *   alloc MIB            allocate and touch MIB MiB, print "allocated", exit 0
 *   print-sleep-print MS print "first", sleep MS ms, print "second"
 *   cat                  copy stdin to stdout
 *   args                 print each following argument on its own line
 *   env                  print the environment, one KEY=VALUE per line
 *   cwd                  print the current directory
 *   tree                 list "." recursively: "<type> <mode> <path>" per entry
 *   daemon MS [MAIN_MS]  double-fork a setsid daemon that sleeps MS ms; print "daemonised",
 *                        then sleep MAIN_MS ms (default MS) and exit
 *   kill-all             kill(-1, SIGKILL) and report how many processes it could signal
 *   sleep-print MS TEXT  sleep MS ms, then print TEXT
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

static void put(const char* text) {
  size_t len = strlen(text);
  while (len > 0) {
    ssize_t n = write(1, text, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) exit(3);
    text += n;
    len -= (size_t)n;
  }
}

/* One write per line, so a reader sees whole lines. */
static void putln(const char* text) {
  char line[8192];
  snprintf(line, sizeof line, "%s\n", text);
  put(line);
}

static long ms_arg(int argc, char** argv, int i) {
  if (i >= argc) {
    fprintf(stderr, "payload: %s needs an argument\n", argv[1]);
    exit(2);
  }
  return strtol(argv[i], NULL, 10);
}

static double clock_ms(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void spin_cpu(long ms) {
  /* CLOCK_PROCESS_CPUTIME_ID counts this process only (children are not included). */
  const double start = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
  volatile unsigned long sink = 0;
  while (clock_ms(CLOCK_PROCESS_CPUTIME_ID) - start < (double)ms) {
    for (int i = 0; i < 10000; ++i) sink += (unsigned long)i;
  }
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

static void tree(const char* dir) {
  DIR* d = opendir(dir);
  if (!d) {
    perror(dir);
    exit(4);
  }
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct stat st;
    if (lstat(path, &st) < 0) {
      perror(path);
      exit(4);
    }
    char line[4200];
    const char type = S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' : S_ISREG(st.st_mode) ? 'f' : '?';
    snprintf(line, sizeof line, "%c %o %s", type, (unsigned)(st.st_mode & 07777), path + 2);
    putln(line);
    if (S_ISDIR(st.st_mode)) tree(path);
  }
  closedir(d);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: payload VERB [ARG...]\n");
    return 2;
  }
  const char* verb = argv[1];
  if (!strcmp(verb, "spin")) {
    spin_cpu(ms_arg(argc, argv, 2));
  } else if (!strcmp(verb, "spin-forever")) {
    for (;;) spin_cpu(1000);
  } else if (!strcmp(verb, "spin-procs")) {
    const long n = ms_arg(argc, argv, 2), ms = ms_arg(argc, argv, 3);
    for (long i = 1; i < n; ++i) {
      pid_t pid = fork();
      if (pid < 0) {
        perror("fork");
        return 1;
      }
      if (pid == 0) {
        spin_cpu(ms);
        _exit(0);
      }
    }
    spin_cpu(ms);
    while (wait(NULL) > 0) {
    }
  } else if (!strcmp(verb, "sleep")) {
    sleep_ms(ms_arg(argc, argv, 2));
  } else if (!strcmp(verb, "alloc")) {
    const size_t bytes = (size_t)ms_arg(argc, argv, 2) << 20;
    if (bytes == 0) {
      putln("allocated");
      return 0;
    }
    char* p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      perror("mmap");
      return 1;
    }
    const long page = sysconf(_SC_PAGESIZE);
    for (size_t off = 0; off < bytes; off += (size_t)page) p[off] = 1;
    putln("allocated");
  } else if (!strcmp(verb, "print-sleep-print")) {
    putln("first");
    sleep_ms(ms_arg(argc, argv, 2));
    putln("second");
  } else if (!strcmp(verb, "cat")) {
    char buf[65536];
    for (;;) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        perror("read");
        return 1;
      }
      if (n == 0) break;
      for (ssize_t off = 0; off < n;) {
        ssize_t w = write(1, buf + off, (size_t)(n - off));
        if (w <= 0) return 3;
        off += w;
      }
    }
  } else if (!strcmp(verb, "args")) {
    for (int i = 2; i < argc; ++i) putln(argv[i]);
  } else if (!strcmp(verb, "env")) {
    for (char** e = environ; *e; ++e) putln(*e);
  } else if (!strcmp(verb, "cwd")) {
    char buf[4096];
    if (!getcwd(buf, sizeof buf)) {
      perror("getcwd");
      return 1;
    }
    putln(buf);
  } else if (!strcmp(verb, "tree")) {
    tree(".");
  } else if (!strcmp(verb, "daemon")) {
    const long ms = ms_arg(argc, argv, 2);
    const long main_ms = argc > 3 ? ms_arg(argc, argv, 3) : ms;
    pid_t pid = fork();
    if (pid == 0) {
      setsid();
      if (fork() == 0) {
        /* The daemon: no parent in the sandbox, its own session, stdio detached. */
        close(0);
        close(1);
        close(2);
        sleep_ms(ms);
        _exit(0);
      }
      _exit(0);
    }
    waitpid(pid, NULL, 0);
    putln("daemonised");
    sleep_ms(main_ms);
  } else if (!strcmp(verb, "kill-all")) {
    kill(-1, SIGKILL);
    int visible = 0;
    for (pid_t p = 1; p < 4096; ++p) {
      if (p != getpid() && (kill(p, 0) == 0 || errno == EPERM)) ++visible;
    }
    char line[64];
    snprintf(line, sizeof line, "others visible: %d", visible);
    putln(line);
  } else if (!strcmp(verb, "sleep-print")) {
    sleep_ms(ms_arg(argc, argv, 2));
    putln(argc > 3 ? argv[3] : "");
  } else {
    fprintf(stderr, "payload: unknown verb %s\n", verb);
    return 2;
  }
  return 0;
}
