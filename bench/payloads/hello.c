/* The payload of the start-up benchmark: prints one line and exits. Linked -static so
 * that no dynamic loader, shared library or file outside the binary is needed, which
 * lets the same file run bare, in a minimal chroot, in a scratch Docker image and in
 * every sandbox. */
#include <stdio.h>

int main(void) {
  puts("hello, world");
  return 0;
}
