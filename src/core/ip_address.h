// IP addresses and CIDR ranges as values, for the decisions that depend on who is on the
// other end: which proxies may say who the client is (X-Forwarded-For), which addresses
// an execute callback may reach, who may read /metrics. The one parser and matcher of
// addresses and ranges in Runlet. IPv4 is kept as IPv4-mapped IPv6 (::ffff:a.b.c.d), so
// that "::ffff:127.0.0.1" and "127.0.0.1" are one address (and an IPv4 range matches both).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

struct sockaddr;

namespace runlet {

struct IpAddress {
  std::array<uint8_t, 16> bytes{};  // IPv6 order; IPv4 as ::ffff:a.b.c.d

  // A literal "1.2.3.4", "::1", "[::1]" or "::ffff:1.2.3.4"; nullopt for anything else
  // (names, ports, zone ids, short forms such as "127.1").
  static std::optional<IpAddress> Parse(std::string_view text);
  static IpAddress FromV4(uint32_t host_order);
  static IpAddress FromV6(const std::array<uint8_t, 16>& network_order);
  // The address of an AF_INET or AF_INET6 socket address; nullopt for other families.
  static std::optional<IpAddress> FromSockaddr(const sockaddr* address);
  bool is_v4() const;  // an IPv4 address (or its IPv4-mapped IPv6 form)
  bool is_loopback() const;  // 127.0.0.0/8 or ::1
  // "1.2.3.4" for IPv4, RFC 5952 text for IPv6.
  std::string ToString() const;
  bool operator==(const IpAddress&) const = default;
};

struct Cidr {
  IpAddress base;  // host bits cleared
  int bits = 128;  // prefix length on the 128-bit form (an IPv4 /8 is 96 + 8)

  // "10.0.0.0/8", "::1/128", "192.168.1.7" (one address); errors name the text.
  static Result<Cidr> Parse(std::string_view text);
  bool Contains(const IpAddress& a) const;
  // Whether every address of `inner` is in this range.
  bool Covers(const Cidr& inner) const { return inner.bits >= bits && Contains(inner.base); }
  // Whether this range is the one address `a` and nothing else.
  bool IsExactly(const IpAddress& a) const { return bits == 128 && base == a; }
  std::string ToString() const;
};

// Parses each text; the first bad one is an error naming it.
Result<std::vector<Cidr>> ParseCidrs(const std::vector<std::string>& texts);
bool AnyContains(const std::vector<Cidr>& ranges, const IpAddress& a);
// The same for an address as text (a peer's, as the HTTP server reports it); false when
// `address` is not an IP address.
bool AnyContains(const std::vector<Cidr>& ranges, std::string_view address);

// The client's address for a connection from `peer` that carried `forwarded_for` (the
// X-Forwarded-For values, comma-separated, oldest first). The hops are read from the
// right, starting with the peer: while a hop is one of the `trusted` proxies, the
// address it names before it is believed. The answer is the right-most hop that is not
// a trusted proxy (or the left-most one when all are); a value that is not an address
// stops the walk at the proxy that passed it on. With no trusted proxies, the peer.
std::string ClientAddress(const std::string& peer, std::string_view forwarded_for, const std::vector<Cidr>& trusted);

}  // namespace runlet
