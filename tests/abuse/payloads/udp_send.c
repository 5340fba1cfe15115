// Sends UDP datagrams to argv[1]:argv[2], where the test listens on the host.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common.h"

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
  if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) return 2;
  int sock = socket(AF_INET, SOCK_DGRAM, 0);
  char what[128];
  snprintf(what, sizeof what, "sendto udp %s:%s", argv[1], argv[2]);
  REFUSED(what, sendto(sock, "escape", 6, 0, (struct sockaddr*)&addr, sizeof addr), ENETUNREACH,
          EHOSTUNREACH);
  return Finish();
}
