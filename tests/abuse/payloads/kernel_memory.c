// Looks for kernel addresses and memory: what KASLR bypasses and kernel exploits need.
#include <stdint.h>

#include "common.h"

// A file "gives nothing useful" if it cannot be read, is empty, or holds only zero
// addresses (what the kernel shows unprivileged readers).
static void CheckNoAddresses(const char* path) {
  static char buf[1 << 20];
  errno = 0;
  long n = ReadFile(path, buf, sizeof buf - 1);
  if (n < 0) {
    printf("nothing useful in %s (%s)\n", path, ErrnoName(errno));
    return;
  }
  buf[n] = 0;
  // Any long hexadecimal number other than zeros counts as a leaked address.
  int run = 0, nonzero = 0, leaks = 0;
  for (long i = 0; i <= n; ++i) {
    char c = buf[i];
    int hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (hex) {
      run++;
      nonzero |= c != '0';
    } else {
      if (run >= 12 && nonzero) leaks++;
      run = 0;
      nonzero = 0;
    }
  }
  if (leaks) {
    printf("FAIL %s shows %d kernel addresses\n", path, leaks);
    g_failures++;
  } else {
    printf("nothing useful in %s\n", path);
  }
}

int main(void) {
  static char buf[4096];
  errno = 0;
  long n = ReadFile("/proc/kcore", buf, sizeof buf);
  if (n > 0) Fail("/proc/kcore", "readable");
  else printf("nothing useful in /proc/kcore\n");
  CheckNoAddresses("/proc/kallsyms");
  CheckNoAddresses("/proc/modules");
  CheckNoAddresses("/proc/keys");
  CheckNoAddresses("/proc/timer_list");
  CheckNoAddresses("/proc/iomem");
  CheckNoAddresses("/proc/self/stack");
  CheckNoAddresses("/proc/vmallocinfo");
  // Physical frame numbers are zero for unprivileged readers of pagemap.
  volatile char page[4096];
  page[0] = 1;
  int fd = open("/proc/self/pagemap", O_RDONLY);
  uint64_t entry = 0;
  if (fd >= 0 && pread(fd, &entry, sizeof entry, (off_t)((uintptr_t)page / 4096 * 8)) == 8) {
    if (entry & ((1ULL << 55) - 1)) Fail("/proc/self/pagemap", "shows physical frames");
    else printf("nothing useful in /proc/self/pagemap\n");
  } else {
    printf("nothing useful in /proc/self/pagemap\n");
  }
  return Finish();
}
