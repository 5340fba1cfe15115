// Looks at host paths from inside a run on the host's toolchains. argv: paths; for each
// prints one line: "absent PATH" (ENOENT), "list PATH: NAME NAME ..." (a directory, names
// sorted), "read PATH: TEXT" (a file: its first 512 bytes, line breaks as "|"), or
// "error PATH: ERRNO". The test decides what each must be.
#include <dirent.h>
#include <sys/stat.h>

#include "common.h"

static int CompareNames(const void* a, const void* b) {
  return strcmp(*(const char* const*)a, *(const char* const*)b);
}

static void List(const char* path) {
  DIR* d = opendir(path);
  if (!d) {
    printf("error %s: %s\n", path, ErrnoName(errno));
    return;
  }
  static char names[1024][256];
  static const char* sorted[1024];
  size_t count = 0;
  struct dirent* e;
  while ((e = readdir(d)) && count < 1024) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    snprintf(names[count], sizeof names[count], "%s", e->d_name);
    sorted[count] = names[count];
    count++;
  }
  closedir(d);
  qsort(sorted, count, sizeof *sorted, CompareNames);
  printf("list %s:", path);
  for (size_t i = 0; i < count; ++i) printf(" %s", sorted[i]);
  printf("\n");
}

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const char* path = argv[i];
    struct stat st;
    if (stat(path, &st) < 0) {
      if (errno == ENOENT) {
        printf("absent %s\n", path);
      } else {
        printf("error %s: %s\n", path, ErrnoName(errno));
      }
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      List(path);
      continue;
    }
    static char text[513];
    long n = ReadFile(path, text, sizeof text - 1);
    if (n < 0) {
      printf("error %s: %s\n", path, ErrnoName(errno));
      continue;
    }
    for (long j = 0; j < n; ++j) {
      if (text[j] == '\n') text[j] = '|';
    }
    text[n] = 0;
    printf("read %s: %s\n", path, text);
  }
  return Finish();
}
