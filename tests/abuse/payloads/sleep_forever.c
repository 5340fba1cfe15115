// Waits forever without using CPU, ignoring every signal it may ignore.
#include <signal.h>
#include <unistd.h>

int main(void) {
  for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_IGN);
  for (;;) pause();
}
