// The socket families a run may create, on every platform: the native sandbox's seccomp
// filter (sandbox/seccomp_filter.cpp) and the container platforms' profiles read this one
// list. A run has no network (its own network namespace holds only loopback), so it needs
// local sockets and the internet families for loopback servers and clients; glibc's
// getaddrinfo and Go's net package ask the kernel for the addresses of the interfaces
// over NETLINK_ROUTE. Everything else (AF_VSOCK, which network namespaces do not
// isolate; AF_PACKET, AF_ALG, AF_KEY, AF_BLUETOOTH, other netlink protocols, ...) fails
// with EAFNOSUPPORT (netlink protocols: EPROTONOSUPPORT), as on a kernel without them.
#pragma once

#include <linux/netlink.h>
#include <sys/socket.h>

#include <cerrno>

namespace runlet {

struct AllowedSocketFamily {
  int family;
  int only_protocol;  // the one protocol allowed in that family, or -1 for any
  const char* name;
};

// Sorted by family.
inline constexpr AllowedSocketFamily kAllowedSocketFamilies[] = {
    {AF_UNIX, -1, "AF_UNIX"},
    {AF_INET, -1, "AF_INET"},
    {AF_INET6, -1, "AF_INET6"},
    {AF_NETLINK, NETLINK_ROUTE, "AF_NETLINK"},
};

// The errno of a refused family, and of a refused protocol in an allowed family.
inline constexpr int kRefusedFamilyErrno = EAFNOSUPPORT;
inline constexpr int kRefusedProtocolErrno = EPROTONOSUPPORT;

}  // namespace runlet
