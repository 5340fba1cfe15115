#include "core/units.h"

#include <gtest/gtest.h>

#include <string>

namespace runlet {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, ReadsEveryUnit) {
  EXPECT_EQ(ParseDuration("2s").value(), milliseconds(2000));
  EXPECT_EQ(ParseDuration("1.5s").value(), milliseconds(1500));
  EXPECT_EQ(ParseDuration("500ms").value(), milliseconds(500));
  EXPECT_EQ(ParseDuration("2500us").value(), milliseconds(3));  // rounded to the nearest ms
  EXPECT_EQ(ParseDuration("2m").value(), milliseconds(120000));
  EXPECT_EQ(ParseDuration("2min").value(), milliseconds(120000));
  EXPECT_EQ(ParseDuration("1h").value(), milliseconds(3600000));
  EXPECT_EQ(ParseDuration("0").value(), milliseconds(0));
}

TEST(ParseDuration, TakesABareNumberAsSeconds) {
  EXPECT_EQ(ParseDuration("3").value(), milliseconds(3000));
  EXPECT_EQ(ParseDuration("0.25").value(), milliseconds(250));
}

TEST(ParseDuration, RefusesGarbage) {
  for (const char* text : {"", "s", "ms", "abc", "2 s", " 2s", "2s ", "2x", "2sec", "1..5s",
                           "0x10s", "two", "2S", "--1s", "+2s", "inf", "nan", "infs"}) {
    auto d = ParseDuration(text);
    EXPECT_FALSE(d.has_value()) << '"' << text << "\" was accepted as " << d->count() << " ms";
  }
}

TEST(ParseDuration, RefusesNegatives) {
  for (const char* text : {"-1", "-1s", "-500ms", "-0.5s"}) {
    auto d = ParseDuration(text);
    EXPECT_FALSE(d.has_value()) << text;
    if (!d) {
      EXPECT_NE(d.error().message.find(text), std::string::npos) << d.error().message;
    }
  }
}

TEST(ParseDuration, RefusesValuesAboveAYearAndOverflow) {
  EXPECT_TRUE(ParseDuration("365d").has_value() == false);  // no "d" unit at all
  EXPECT_TRUE(ParseDuration("8000h").has_value());          // under a year
  EXPECT_FALSE(ParseDuration("9000h").has_value());         // over a year
  EXPECT_FALSE(ParseDuration("99999999999999999999s").has_value());
  EXPECT_FALSE(ParseDuration("1e300s").has_value());
  EXPECT_FALSE(ParseDuration("1e400").has_value());  // not representable as a double
}

TEST(ParseDuration, NamesTheTextInItsMessage) {
  auto d = ParseDuration("12parsecs");
  ASSERT_FALSE(d.has_value());
  EXPECT_NE(d.error().message.find("12parsecs"), std::string::npos) << d.error().message;
}

TEST(ParseSize, ReadsBinaryMultiples) {
  EXPECT_EQ(ParseSize("1024").value(), 1024u);
  EXPECT_EQ(ParseSize("0").value(), 0u);
  EXPECT_EQ(ParseSize("512K").value(), 512u << 10);
  EXPECT_EQ(ParseSize("64M").value(), 64u << 20);
  EXPECT_EQ(ParseSize("64m").value(), 64u << 20);
  EXPECT_EQ(ParseSize("1G").value(), 1ull << 30);
  EXPECT_EQ(ParseSize("1.5G").value(), 3ull << 29);
  EXPECT_EQ(ParseSize("2T").value(), 2ull << 40);
  EXPECT_EQ(ParseSize("256MB").value(), 256u << 20);
  EXPECT_EQ(ParseSize("256MiB").value(), 256u << 20);
  EXPECT_EQ(ParseSize("100B").value(), 100u);
}

TEST(ParseSize, RefusesGarbage) {
  for (const char* text : {"", "M", "abc", "12X", "1 M", " 1M", "1M ", "1MM", "1iB", "1KBB",
                           "1P", "1E", "0x10", "1,5M", "inf", "nanM", "+1M"}) {
    auto s = ParseSize(text);
    EXPECT_FALSE(s.has_value()) << '"' << text << "\" was accepted as " << *s;
  }
}

TEST(ParseSize, RefusesNegatives) {
  for (const char* text : {"-1", "-1M", "-0.5G"}) {
    EXPECT_FALSE(ParseSize(text).has_value()) << text;
  }
}

TEST(ParseSize, RefusesSizesThatOverflowSixtyFourBits) {
  EXPECT_TRUE(ParseSize("8000000T").has_value());  // ~8.8e18 bytes still fits
  EXPECT_FALSE(ParseSize("16777216T").has_value());  // 2^64
  EXPECT_FALSE(ParseSize("99999999999999999999").has_value());
  EXPECT_FALSE(ParseSize("1e300G").has_value());
  auto s = ParseSize("1e30");
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message.find("too large"), std::string::npos) << s.error().message;
}

TEST(FormatSize, PrintsTheLargestWholeUnit) {
  EXPECT_EQ(FormatSize(0), "0B");
  EXPECT_EQ(FormatSize(100), "100B");
  EXPECT_EQ(FormatSize(1023), "1023B");
  EXPECT_EQ(FormatSize(1024), "1K");
  EXPECT_EQ(FormatSize(1536), "1.5K");
  EXPECT_EQ(FormatSize(1048576), "1M");
  EXPECT_EQ(FormatSize(256ull << 20), "256M");
  EXPECT_EQ(FormatSize(1ull << 30), "1G");
  EXPECT_EQ(FormatSize(3ull << 39), "1.5T");
  EXPECT_EQ(FormatSize(1ull << 50), "1024T");  // no unit above T
}

TEST(FormatSize, RoundTripsThroughParseSize) {
  for (uint64_t bytes : {0ull, 1ull, 100ull, 1024ull, 1536ull, 64ull << 20, 3ull << 29, 16ull << 30}) {
    auto back = ParseSize(FormatSize(bytes));
    ASSERT_TRUE(back.has_value()) << FormatSize(bytes);
    EXPECT_EQ(*back, bytes) << FormatSize(bytes);
  }
}

}  // namespace
}  // namespace runlet
