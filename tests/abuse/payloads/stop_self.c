// Stops itself: a stopped process neither exits nor uses CPU.
#include <signal.h>

int main(void) {
  for (;;) raise(SIGSTOP);
}
