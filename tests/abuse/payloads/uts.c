// Host name and domain name: its own, unchangeable.
#include <sys/utsname.h>

#include "common.h"

int main(void) {
  struct utsname u;
  uname(&u);
  printf("nodename %s\n", u.nodename);
  REFUSED("sethostname", sethostname("evil", 4), EPERM);
  REFUSED("setdomainname", setdomainname("evil", 4), EPERM);
  return Finish();
}
