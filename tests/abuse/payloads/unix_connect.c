// Connects to unix sockets the test listens on in the host: argv[1] is an abstract name
// (without the leading NUL), argv[2] a path.
#include <sys/socket.h>
#include <sys/un.h>

#include "common.h"

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  int sock = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  size_t len = strlen(argv[1]);
  if (len + 1 > sizeof addr.sun_path) return 2;
  memcpy(addr.sun_path + 1, argv[1], len);
  REFUSED("connect to the host's abstract socket",
          connect(sock, (struct sockaddr*)&addr, (socklen_t)(sizeof(sa_family_t) + 1 + len)),
          ECONNREFUSED);
  int sock2 = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un path = {.sun_family = AF_UNIX};
  snprintf(path.sun_path, sizeof path.sun_path, "%s", argv[2]);
  REFUSED("connect to the host's socket file", connect(sock2, (struct sockaddr*)&path, sizeof path),
          ENOENT);
  return Finish();
}
