// Socket families a run does not need: vsock (network namespaces do not cover it), raw
// packets, the kernel's crypto API, key management, netlink protocols other than routing,
// and a family number with high bits set. Then what runs do need still works: unix,
// inet and inet6 sockets, socketpair, and NETLINK_ROUTE (glibc's getaddrinfo).
#include <linux/if_alg.h>
#include <linux/netlink.h>
#include <linux/vm_sockets.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "common.h"

#ifndef AF_MCTP
#define AF_MCTP 45
#endif

static void Works(const char* what, int fd) {
  if (fd < 0) {
    printf("FAIL %s: %s\n", what, ErrnoName(errno));
    g_failures++;
    return;
  }
  printf("works %s\n", what);
  close(fd);
}

int main(void) {
  // vsock: socket, bind and listen all worked before the filter knew of families.
  REFUSED("socket(AF_VSOCK, SOCK_STREAM)", socket(AF_VSOCK, SOCK_STREAM, 0), EAFNOSUPPORT);
  REFUSED("socket(AF_VSOCK, SOCK_DGRAM)", socket(AF_VSOCK, SOCK_DGRAM, 0), EAFNOSUPPORT);
  REFUSED("socket(AF_PACKET)", socket(AF_PACKET, SOCK_RAW, 0), EAFNOSUPPORT);
  REFUSED("socket(AF_ALG)", socket(AF_ALG, SOCK_SEQPACKET, 0), EAFNOSUPPORT);
  REFUSED("socket(AF_KEY)", socket(AF_KEY, SOCK_RAW, 2), EAFNOSUPPORT);
  REFUSED("socket(AF_BLUETOOTH)", socket(AF_BLUETOOTH, SOCK_STREAM, 0), EAFNOSUPPORT);
  REFUSED("socket(AF_TIPC)", socket(AF_TIPC, SOCK_RDM, 0), EAFNOSUPPORT);
  REFUSED("socket(AF_RDS)", socket(AF_RDS, SOCK_SEQPACKET, 0), EAFNOSUPPORT);
  REFUSED("socket(AF_XDP)", socket(AF_XDP, SOCK_RAW, 0), EAFNOSUPPORT);
  REFUSED("socket(AF_MCTP)", socket(AF_MCTP, SOCK_DGRAM, 0), EAFNOSUPPORT);
  REFUSED("socket(AF_UNSPEC)", socket(AF_UNSPEC, SOCK_STREAM, 0), EAFNOSUPPORT);
  REFUSED("socket(1000)", socket(1000, SOCK_STREAM, 0), EAFNOSUPPORT);
  // AF_UNIX with a high bit set: the kernel would read the int as AF_UNIX.
  REFUSED("socket(AF_UNIX | 1 << 32)", syscall(SYS_socket, (1ul << 32) | AF_UNIX, SOCK_STREAM, 0), EAFNOSUPPORT);
  REFUSED("socketpair(AF_VSOCK)", socketpair(AF_VSOCK, SOCK_STREAM, 0, (int[2]){0, 0}), EAFNOSUPPORT);
  REFUSED("socketpair(AF_ALG)", socketpair(AF_ALG, SOCK_SEQPACKET, 0, (int[2]){0, 0}), EAFNOSUPPORT);
  REFUSED("socket(AF_NETLINK, NETLINK_AUDIT)", socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT), EPROTONOSUPPORT);
  REFUSED("socket(AF_NETLINK, NETLINK_KOBJECT_UEVENT)", socket(AF_NETLINK, SOCK_DGRAM, NETLINK_KOBJECT_UEVENT),
          EPROTONOSUPPORT);
  REFUSED("socket(AF_NETLINK, NETLINK_SOCK_DIAG)", socket(AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG), EPROTONOSUPPORT);
  REFUSED("socket(AF_NETLINK, NETLINK_GENERIC)", socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC), EPROTONOSUPPORT);

  Works("socket(AF_UNIX)", socket(AF_UNIX, SOCK_STREAM, 0));
  Works("socket(AF_INET)", socket(AF_INET, SOCK_STREAM, 0));
  Works("socket(AF_INET6)", socket(AF_INET6, SOCK_DGRAM, 0));
  Works("socket(AF_NETLINK, NETLINK_ROUTE)", socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0) {
    printf("works socketpair(AF_UNIX)\n");
    close(pair[0]);
    close(pair[1]);
  } else {
    Fail("socketpair(AF_UNIX)", ErrnoName(errno));
  }
  return Finish();
}
