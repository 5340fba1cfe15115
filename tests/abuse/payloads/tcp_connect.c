// Connects to argv[1]:argv[2] over TCP, where the test listens on the host.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "common.h"

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
  if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) return 2;
  int sock = socket(AF_INET, SOCK_STREAM, 0);
  if (sock < 0) {
    Fail("socket", ErrnoName(errno));
    return Finish();
  }
  char what[128];
  snprintf(what, sizeof what, "connect tcp %s:%s", argv[1], argv[2]);
  REFUSED(what, connect(sock, (struct sockaddr*)&addr, sizeof addr), ENETUNREACH, ECONNREFUSED,
          EHOSTUNREACH);
  return Finish();
}
