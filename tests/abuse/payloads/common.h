// Shared by the hostile payloads: each attempt is reported on stdout as one line the test
// matches exactly, e.g. "refused ptrace(PTRACE_TRACEME): EPERM". An attempt that works,
// or fails in an unexpected way, prints a line starting with "FAIL" and makes the payload
// exit with 1.
#pragma once

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int g_failures;

static inline const char* ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return name ? name : "E?";
}

// `ret` is what the call returned and `err` its errno; `allowed` ends with 0.
static inline void CheckRefused(const char* what, long ret, int err, const int* allowed) {
  if (ret != -1) {
    printf("FAIL %s: succeeded (returned %ld)\n", what, ret);
    g_failures++;
    return;
  }
  for (const int* a = allowed; *a; ++a) {
    if (*a == err) {
      printf("refused %s: %s\n", what, ErrnoName(err));
      return;
    }
  }
  printf("FAIL %s: unexpected error %s\n", what, ErrnoName(err));
  g_failures++;
}

// REFUSED("mount", mount(...), EPERM) or REFUSED("open", open(...), EACCES, ENOENT).
#define REFUSED(what, expr, ...)                                           \
  do {                                                                     \
    errno = 0;                                                             \
    long ret_ = (long)(expr);                                              \
    int err_ = errno;                                                      \
    CheckRefused((what), ret_, err_, (const int[]){__VA_ARGS__, 0});       \
  } while (0)

static inline void Fail(const char* format_what, const char* detail) {
  printf("FAIL %s: %s\n", format_what, detail);
  g_failures++;
}

// Prints the last line and gives the exit code: 0 when every attack was refused.
static inline int Finish(void) {
  printf("done\n");
  fflush(stdout);
  return g_failures ? 1 : 0;
}

// Reads up to `cap` bytes of a file; returns the count, or -1 with errno set.
static inline long ReadFile(const char* path, char* buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t got = 0;
  while (got < cap) {
    ssize_t n = read(fd, buf + got, cap - got);
    if (n < 0) {
      int err = errno;
      close(fd);
      errno = err;
      return -1;
    }
    if (n == 0) break;
    got += (size_t)n;
  }
  close(fd);
  return (long)got;
}

// Reads whitespace-separated numbers from stdin until EOF; returns how many.
static inline int ReadNumbers(long* out, int cap) {
  static char buf[4096];
  size_t got = 0;
  ssize_t n;
  while (got < sizeof buf - 1 && (n = read(0, buf + got, sizeof buf - 1 - got)) > 0) got += (size_t)n;
  buf[got] = 0;
  int count = 0;
  char* p = buf;
  while (count < cap) {
    char* end;
    long v = strtol(p, &end, 10);
    if (end == p) break;
    out[count++] = v;
    p = end;
  }
  return count;
}

// Blocks until the test writes a line to stdin (or closes it).
static inline void WaitForGo(void) {
  char c;
  while (read(0, &c, 1) == 1 && c != '\n') {
  }
}
