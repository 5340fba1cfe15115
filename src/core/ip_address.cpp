#include "core/ip_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace runlet {
namespace {

bool IsV4Mapped(const std::array<uint8_t, 16>& b) {
  for (int i = 0; i < 10; ++i) {
    if (b[i] != 0) return false;
  }
  return b[10] == 0xff && b[11] == 0xff;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() > 45) return std::nullopt;
  const std::string s(text);
  IpAddress a;
  in_addr v4{};
  if (s.find(':') == std::string::npos) {
    // inet_pton takes only the dotted quad (no "127.1", no octal): what is meant.
    if (::inet_pton(AF_INET, s.c_str(), &v4) != 1) return std::nullopt;
    return FromV4(ntohl(v4.s_addr));
  }
  if (::inet_pton(AF_INET6, s.c_str(), a.bytes.data()) != 1) return std::nullopt;
  return a;
}

IpAddress IpAddress::FromV4(uint32_t host_order) {
  IpAddress a;
  a.bytes[10] = a.bytes[11] = 0xff;
  a.bytes[12] = static_cast<uint8_t>(host_order >> 24);
  a.bytes[13] = static_cast<uint8_t>(host_order >> 16);
  a.bytes[14] = static_cast<uint8_t>(host_order >> 8);
  a.bytes[15] = static_cast<uint8_t>(host_order);
  return a;
}

IpAddress IpAddress::FromV6(const std::array<uint8_t, 16>& network_order) {
  IpAddress a;
  a.bytes = network_order;
  return a;
}

std::optional<IpAddress> IpAddress::FromSockaddr(const sockaddr* address) {
  if (!address) return std::nullopt;
  if (address->sa_family == AF_INET) {
    return FromV4(ntohl(reinterpret_cast<const sockaddr_in*>(address)->sin_addr.s_addr));
  }
  if (address->sa_family == AF_INET6) {
    IpAddress a;
    std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, 16);
    return a;
  }
  return std::nullopt;
}

bool IpAddress::is_v4() const { return IsV4Mapped(bytes); }

bool IpAddress::is_loopback() const {
  static const Cidr v4 = *Cidr::Parse("127.0.0.0/8");
  static const Cidr v6 = *Cidr::Parse("::1");
  return v4.Contains(*this) || v6.Contains(*this);
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (is_v4()) {
    ::inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof buf);
  } else {
    ::inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  }
  return buf;
}

Result<Cidr> Cidr::Parse(std::string_view text) {
  const std::string original(text);
  text = Trim(text);
  const size_t slash = text.find('/');
  auto address = IpAddress::Parse(text.substr(0, slash));
  if (!address) return Fail(ErrorKind::kInvalid, "\"" + original + "\" is not an IP address or CIDR range");
  Cidr c;
  const int max = address->is_v4() ? 32 : 128;
  int bits = max;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) return Fail(ErrorKind::kInvalid, "\"" + original + "\": bad prefix length");
    bits = 0;
    for (char ch : digits) {
      if (ch < '0' || ch > '9') return Fail(ErrorKind::kInvalid, "\"" + original + "\": bad prefix length");
      bits = bits * 10 + (ch - '0');
    }
    if (bits > max) return Fail(ErrorKind::kInvalid, "\"" + original + "\": prefix longer than " + std::to_string(max));
  }
  c.bits = address->is_v4() ? 96 + bits : bits;
  c.base = *address;
  for (int i = 0; i < 16; ++i) {
    const int keep = std::max(0, std::min(8, c.bits - 8 * i));
    c.base.bytes[i] &= static_cast<uint8_t>(keep == 0 ? 0 : 0xff << (8 - keep));
  }
  return c;
}

bool Cidr::Contains(const IpAddress& a) const {
  for (int i = 0; i < 16; ++i) {
    const int keep = std::max(0, std::min(8, bits - 8 * i));
    if (keep == 0) break;
    const auto mask = static_cast<uint8_t>(0xff << (8 - keep));
    if ((a.bytes[i] & mask) != base.bytes[i]) return false;
  }
  return true;
}

std::string Cidr::ToString() const {
  return base.ToString() + "/" + std::to_string(base.is_v4() && bits >= 96 ? bits - 96 : bits);
}

Result<std::vector<Cidr>> ParseCidrs(const std::vector<std::string>& texts) {
  std::vector<Cidr> out;
  for (const auto& t : texts) {
    auto c = Cidr::Parse(t);
    if (!c) return tl::unexpected(c.error());
    out.push_back(*c);
  }
  return out;
}

bool AnyContains(const std::vector<Cidr>& ranges, const IpAddress& a) {
  for (const auto& r : ranges) {
    if (r.Contains(a)) return true;
  }
  return false;
}

bool AnyContains(const std::vector<Cidr>& ranges, std::string_view address) {
  auto a = IpAddress::Parse(address);
  return a && AnyContains(ranges, *a);
}

std::string ClientAddress(const std::string& peer, std::string_view forwarded_for, const std::vector<Cidr>& trusted) {
  auto hop = IpAddress::Parse(peer);
  if (!hop) return peer;
  std::string client = hop->ToString();
  while (AnyContains(trusted, *hop)) {
    // The trusted hop says who came before it: the last entry not yet read.
    forwarded_for = Trim(forwarded_for);
    if (forwarded_for.empty()) break;  // all trusted: the left-most one
    const size_t comma = forwarded_for.rfind(',');
    const std::string_view entry = Trim(comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1));
    forwarded_for = comma == std::string_view::npos ? std::string_view() : forwarded_for.substr(0, comma);
    auto named = IpAddress::Parse(entry);
    if (!named) break;  // garbage from (or through) the proxy: the proxy is the client
    hop = named;
    client = named->ToString();
  }
  return client;
}

}  // namespace runlet
