// Reports how many arguments and environment bytes arrived, and whether every argument
// is intact (the test passes arguments made only of the letter 'a').
#include "common.h"

extern char** environ;

int main(int argc, char** argv) {
  long long bytes = 0;
  int intact = 1;
  for (int i = 1; i < argc; ++i) {
    size_t len = strlen(argv[i]);
    bytes += (long long)len;
    for (size_t j = 0; j < len; ++j) intact &= argv[i][j] == 'a';
  }
  long long env_bytes = 0;
  for (char** e = environ; *e; ++e) env_bytes += (long long)strlen(*e);
  printf("args %d bytes %lld %s\n", argc - 1, bytes, intact ? "intact" : "corrupted");
  printf("env bytes %s\n", env_bytes > 1000000 ? "large" : "small");
  return intact ? 0 : 1;
}
