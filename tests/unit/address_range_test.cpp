#include "core/address_range.h"

#include <gtest/gtest.h>

namespace runlet {
namespace {

TEST(AddressRange, MatchesAddressesWithinItsPrefix) {
  auto loopback = AddressRange::Parse("127.0.0.0/8");
  ASSERT_TRUE(loopback);
  EXPECT_TRUE(loopback->Contains("127.0.0.1"));
  EXPECT_TRUE(loopback->Contains("127.255.1.2"));
  EXPECT_TRUE(loopback->Contains("::ffff:127.0.0.1")) << "IPv4-mapped addresses match as IPv4";
  EXPECT_FALSE(loopback->Contains("128.0.0.1"));
  EXPECT_FALSE(loopback->Contains("::1"));
  EXPECT_FALSE(loopback->Contains("not an address"));
  auto one = AddressRange::Parse("10.1.2.3");
  ASSERT_TRUE(one);
  EXPECT_TRUE(one->Contains("10.1.2.3"));
  EXPECT_FALSE(one->Contains("10.1.2.4"));
  auto odd = AddressRange::Parse("192.168.0.0/23");
  ASSERT_TRUE(odd);
  EXPECT_TRUE(odd->Contains("192.168.1.255"));
  EXPECT_FALSE(odd->Contains("192.168.2.0"));
  auto v6 = AddressRange::Parse("fd00::/8");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->Contains("fd12::1"));
  EXPECT_FALSE(v6->Contains("fe80::1"));
  auto all = AddressRange::Parse("0.0.0.0/0");
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->Contains("203.0.113.9"));
  EXPECT_FALSE(all->Contains("::1"));
}

TEST(AddressRange, RefusesWhatIsNotARange) {
  for (const std::string text : {"", "localhost", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8x",
                                 "1.2.3.4.5", "10.0.0.0/0008"}) {
    auto r = AddressRange::Parse(text);
    EXPECT_FALSE(r) << text;
    if (!r) {
      EXPECT_EQ(r.error().kind, ErrorKind::kInvalid);
    }
  }
}

}  // namespace
}  // namespace runlet
