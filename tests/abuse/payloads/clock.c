// Tries to change the system's clocks.
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>

#include "common.h"

int main(void) {
  struct timeval tv = {946684800, 0};  // 2000-01-01
  REFUSED("settimeofday", settimeofday(&tv, NULL), EPERM);
  struct timespec ts = {946684800, 0};
  REFUSED("clock_settime(CLOCK_REALTIME)", clock_settime(CLOCK_REALTIME, &ts), EPERM);
  REFUSED("clock_settime(CLOCK_TAI)", clock_settime(CLOCK_TAI, &ts), EPERM);
  struct timex tx;
  memset(&tx, 0, sizeof tx);
  tx.modes = ADJ_OFFSET | ADJ_FREQUENCY;
  tx.offset = 500000;
  tx.freq = 100000;
  REFUSED("adjtimex", adjtimex(&tx), EPERM);
  REFUSED("clock_adjtime(CLOCK_REALTIME)", syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx), EPERM);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  printf("clock reads %s\n", now.tv_sec > 1600000000 ? "the present" : "the past");
  return Finish();
}
