// Creates threads until the kernel refuses; threads count against the pids limit.
#include <pthread.h>
#include <string.h>

#include "common.h"

static void* Park(void* arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

int main(void) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  int created = 0;
  for (;;) {
    pthread_t t;
    int rc = pthread_create(&t, &attr, Park, NULL);
    if (rc != 0) {
      printf("threads %d stopped by %s\n", created, ErrnoName(rc));
      break;
    }
    created++;
    if (created > 100000) {
      Fail("thread bomb", "no limit on threads");
      break;
    }
  }
  return Finish();
}
