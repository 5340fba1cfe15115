#include "sandbox/loopback.h"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace runlet::sandbox {

int BringLoopbackUp() {
  const int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return -1;
  struct ifreq request {};
  request.ifr_name[0] = 'l';
  request.ifr_name[1] = 'o';
  int result = ::ioctl(sock, SIOCGIFFLAGS, &request);
  if (result == 0 && !(request.ifr_flags & IFF_UP)) {
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP | IFF_RUNNING);
    result = ::ioctl(sock, SIOCSIFFLAGS, &request);
  }
  const int saved = errno;
  ::close(sock);
  errno = saved;
  return result;
}

}  // namespace runlet::sandbox
