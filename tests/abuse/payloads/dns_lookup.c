// Resolves names, sends a DNS query by hand, and tries to get any network at all.
#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "common.h"

int main(void) {
  const char* names[] = {"example.com", "deb.debian.org"};
  for (int i = 0; i < 2; ++i) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo* res = NULL;
    int rc = getaddrinfo(names[i], "80", &hints, &res);
    if (rc == 0) {
      printf("FAIL resolved %s\n", names[i]);
      g_failures++;
      freeaddrinfo(res);
    } else {
      printf("lookup %s failed\n", names[i]);
    }
  }
  // A DNS query straight to a public resolver.
  int udp = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in dns = {.sin_family = AF_INET, .sin_port = htons(53)};
  inet_pton(AF_INET, "8.8.8.8", &dns.sin_addr);
  REFUSED("sendto 8.8.8.8:53", sendto(udp, "\x12\x34", 2, 0, (struct sockaddr*)&dns, sizeof dns),
          ENETUNREACH);
  // Bringing the loopback interface up needs CAP_NET_ADMIN.
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  ifr.ifr_flags = IFF_UP;
  REFUSED("SIOCSIFFLAGS lo up", ioctl(udp, SIOCSIFFLAGS, &ifr), EPERM);
  REFUSED("socket(AF_INET, SOCK_RAW)", socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), EPERM);
  // Not a family a run may create at all (core/socket_families.h).
  REFUSED("socket(AF_PACKET)", socket(AF_PACKET, SOCK_RAW, 0), EAFNOSUPPORT);
  // The only interface is the namespace's own loopback.
  struct if_nameindex* ifs = if_nameindex();
  int others = 0;
  for (struct if_nameindex* i = ifs; i && i->if_index; ++i) {
    if (strcmp(i->if_name, "lo") != 0) {
      printf("FAIL interface %s visible\n", i->if_name);
      others++;
      g_failures++;
    }
  }
  if (!others) printf("interfaces: lo only\n");
  return Finish();
}
