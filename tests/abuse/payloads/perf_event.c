// perf_event_open: hardware counters and kernel tracing, a rich source of kernel bugs.
#include <linux/perf_event.h>
#include <sys/syscall.h>

#include "common.h"

int main(void) {
  struct perf_event_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_CPU_CLOCK;
  REFUSED("perf_event_open(self)", syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0), EPERM);
  attr.type = PERF_TYPE_HARDWARE;
  attr.config = PERF_COUNT_HW_CPU_CYCLES;
  REFUSED("perf_event_open(all cpus)", syscall(SYS_perf_event_open, &attr, -1, 0, -1, 0), EPERM);
  return Finish();
}
