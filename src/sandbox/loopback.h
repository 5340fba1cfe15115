// The loopback interface of a sandbox's own network namespace. A new network namespace
// has `lo` down, so even a server and a client inside one sandbox cannot talk over
// 127.0.0.1 (ENETUNREACH). Bringing it up gives the sandbox its own loopback and nothing
// else: the namespace has no other interface and no route out.
#pragma once

namespace runlet::sandbox {

// Sets IFF_UP on `lo` of the calling thread's network namespace (SIOCSIFFLAGS; needs
// CAP_NET_ADMIN over that namespace, which init has in its user namespace). Safe between
// clone() and execve(): no allocation, no locks. Returns 0, or -1 with errno set.
int BringLoopbackUp();

}  // namespace runlet::sandbox
