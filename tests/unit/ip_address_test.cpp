// IP addresses, CIDR ranges, and who the client is behind proxies (X-Forwarded-For).
#include "core/ip_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <gtest/gtest.h>

namespace runlet {
namespace {

std::vector<Cidr> Ranges(const std::vector<std::string>& texts) { return *ParseCidrs(texts); }

TEST(IpAddress, ParsesLiteralsOnlyAndFoldsIpv4MappedIntoIpv4) {
  EXPECT_EQ(IpAddress::Parse("127.0.0.1")->ToString(), "127.0.0.1");
  EXPECT_EQ(IpAddress::Parse("::ffff:127.0.0.1"), IpAddress::Parse("127.0.0.1"));
  EXPECT_EQ(IpAddress::Parse("[::1]")->ToString(), "::1");
  EXPECT_EQ(IpAddress::Parse("2001:DB8::1")->ToString(), "2001:db8::1");
  for (const char* bad : {"", "localhost", "127.1", "1.2.3.4:80", "1.2.3.4 ", "::1%lo", "01.2.3.4", "1.2.3.256"})
    EXPECT_EQ(IpAddress::Parse(bad), std::nullopt) << bad;
}

TEST(Cidr, ContainsByPrefixAcrossBothFamilies) {
  auto lo = *Cidr::Parse("127.0.0.0/8");
  EXPECT_TRUE(lo.Contains(*IpAddress::Parse("127.9.8.7")));
  EXPECT_TRUE(lo.Contains(*IpAddress::Parse("::ffff:127.0.0.1")));
  EXPECT_FALSE(lo.Contains(*IpAddress::Parse("128.0.0.1")));
  EXPECT_FALSE(lo.Contains(*IpAddress::Parse("::1")));
  auto all4 = *Cidr::Parse("0.0.0.0/0");
  EXPECT_TRUE(all4.Contains(*IpAddress::Parse("10.1.2.3")));
  EXPECT_FALSE(all4.Contains(*IpAddress::Parse("2001:db8::1")));
  EXPECT_TRUE(Cidr::Parse("::/0")->Contains(*IpAddress::Parse("10.1.2.3")));
  EXPECT_EQ(Cidr::Parse("10.1.2.3/8")->ToString(), "10.0.0.0/8") << "host bits cleared";
  EXPECT_EQ(Cidr::Parse("fe80::1/10")->ToString(), "fe80::/10");
  EXPECT_TRUE(lo.Covers(*Cidr::Parse("127.0.0.1/32")));
  EXPECT_FALSE(lo.Covers(all4)) << "0.0.0.0/0 is not inside 127.0.0.0/8";
  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "example.com/8", "10.0.0.0/-1"})
    EXPECT_FALSE(Cidr::Parse(bad)) << bad;
  EXPECT_FALSE(ParseCidrs({"10.0.0.0/8", "nope"}));
}

TEST(Cidr, MatchesAddressTextWithinItsPrefix) {
  const auto loopback = Ranges({"127.0.0.0/8"});
  EXPECT_TRUE(AnyContains(loopback, "127.0.0.1"));
  EXPECT_TRUE(AnyContains(loopback, "127.255.1.2"));
  EXPECT_TRUE(AnyContains(loopback, "::ffff:127.0.0.1")) << "IPv4-mapped addresses match as IPv4";
  EXPECT_FALSE(AnyContains(loopback, "128.0.0.1"));
  EXPECT_FALSE(AnyContains(loopback, "::1"));
  EXPECT_FALSE(AnyContains(loopback, "not an address"));
  EXPECT_FALSE(AnyContains(loopback, ""));
  EXPECT_TRUE(AnyContains(Ranges({"10.1.2.3"}), "10.1.2.3")) << "one address";
  EXPECT_FALSE(AnyContains(Ranges({"10.1.2.3"}), "10.1.2.4"));
  EXPECT_TRUE(AnyContains(Ranges({"192.168.0.0/23"}), "192.168.1.255"));
  EXPECT_FALSE(AnyContains(Ranges({"192.168.0.0/23"}), "192.168.2.0"));
  EXPECT_TRUE(AnyContains(Ranges({"fd00::/8"}), "fd12::1"));
  EXPECT_FALSE(AnyContains(Ranges({"fd00::/8"}), "fe80::1"));
  EXPECT_TRUE(AnyContains(Ranges({"0.0.0.0/0"}), "203.0.113.9"));
  EXPECT_FALSE(AnyContains(Ranges({"0.0.0.0/0"}), "::1"));
  EXPECT_TRUE(Cidr::Parse("10.1.2.3")->IsExactly(*IpAddress::Parse("10.1.2.3")));
  EXPECT_FALSE(Cidr::Parse("10.1.2.3/31")->IsExactly(*IpAddress::Parse("10.1.2.2")));
}

TEST(Cidr, RefusesWhatIsNotARangeWithAnInvalidError) {
  for (const std::string text : {"", "localhost", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8x",
                                 "1.2.3.4.5", "10.0.0.0/0008", "10.0.0.0/x", "example.com/8", "127.1/8"}) {
    auto r = Cidr::Parse(text);
    EXPECT_FALSE(r) << text;
    if (!r) {
      EXPECT_EQ(r.error().kind, ErrorKind::kInvalid) << text;
      EXPECT_NE(r.error().message.find(text), std::string::npos) << "the error names the text: " << r.error().message;
    }
  }
  EXPECT_FALSE(ParseCidrs({"10.0.0.0/8", "nope"}));
}

TEST(IpAddress, ComesFromSocketAddressesAndKnowsLoopback) {
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  v4.sin_addr.s_addr = htonl(0x7f000001);
  EXPECT_EQ(IpAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&v4))->ToString(), "127.0.0.1");
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  v6.sin6_addr = in6addr_loopback;
  EXPECT_EQ(IpAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&v6))->ToString(), "::1");
  sockaddr other{};
  other.sa_family = AF_UNIX;
  EXPECT_EQ(IpAddress::FromSockaddr(&other), std::nullopt);
  EXPECT_EQ(IpAddress::FromSockaddr(nullptr), std::nullopt);
  for (const char* lo : {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"}) EXPECT_TRUE(IpAddress::Parse(lo)->is_loopback()) << lo;
  for (const char* not_lo : {"128.0.0.1", "::2", "10.0.0.1", "::"}) EXPECT_FALSE(IpAddress::Parse(not_lo)->is_loopback()) << not_lo;
}

TEST(ClientAddress, IsThePeerUnlessThePeerIsATrustedProxy) {
  EXPECT_EQ(ClientAddress("198.51.100.7", "203.0.113.9", {}), "198.51.100.7");
  EXPECT_EQ(ClientAddress("198.51.100.7", "203.0.113.9", Ranges({"10.0.0.0/8"})), "198.51.100.7");
  EXPECT_EQ(ClientAddress("::ffff:10.0.0.2", "", Ranges({"10.0.0.0/8"})), "10.0.0.2");
}

TEST(ClientAddress, TakesTheRightMostAddressThatIsNotATrustedProxy) {
  const auto trusted = Ranges({"10.0.0.0/8"});
  EXPECT_EQ(ClientAddress("10.0.0.2", "203.0.113.9", trusted), "203.0.113.9");
  // A client that writes its own X-Forwarded-For gains nothing: the proxy appends.
  EXPECT_EQ(ClientAddress("10.0.0.2", "1.1.1.1, 203.0.113.9", trusted), "203.0.113.9");
  // Through two trusted proxies.
  EXPECT_EQ(ClientAddress("10.0.0.2", "1.1.1.1, 203.0.113.9, 10.0.0.3", trusted), "203.0.113.9");
  // All trusted: the left-most.
  EXPECT_EQ(ClientAddress("10.0.0.2", "10.0.0.4,10.0.0.3", trusted), "10.0.0.4");
  // Garbage where an address belongs: the proxy that passed it on.
  EXPECT_EQ(ClientAddress("10.0.0.2", "1.1.1.1, junk", trusted), "10.0.0.2");
  EXPECT_EQ(ClientAddress("10.0.0.2", "1.1.1.1, 10.0.0.3, junk", trusted), "10.0.0.2");
  EXPECT_EQ(ClientAddress("10.0.0.2", "1.1.1.1, junk, 10.0.0.3", trusted), "10.0.0.3");
  EXPECT_EQ(ClientAddress("10.0.0.2", "2001:db8::7", trusted), "2001:db8::7");
}

}  // namespace
}  // namespace runlet
