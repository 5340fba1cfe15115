// The kernel keyring is not namespaced: keys must stay out of reach.
#include <sys/syscall.h>

#include "common.h"

#define KEY_SPEC_SESSION_KEYRING -3
#define KEY_SPEC_USER_KEYRING -4
#define KEYCTL_GET_KEYRING_ID 0
#define KEYCTL_JOIN_SESSION_KEYRING 1

int main(void) {
  REFUSED("add_key(user)", syscall(SYS_add_key, "user", "runlet", "secret", 6, KEY_SPEC_SESSION_KEYRING),
          EPERM);
  REFUSED("keyctl(GET_KEYRING_ID)", syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 0),
          EPERM);
  REFUSED("keyctl(JOIN_SESSION_KEYRING)", syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "runlet"),
          EPERM);
  REFUSED("request_key(user)", syscall(SYS_request_key, "user", "runlet", NULL, KEY_SPEC_SESSION_KEYRING),
          EPERM);
  return Finish();
}
