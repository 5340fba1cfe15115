// core/json: parsing bounded before values are built, and numbers printed as people write them.
#include "core/json.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace runlet {
namespace {
namespace json = boost::json;

TEST(JsonText, PrintsNumbersAsPeopleWriteThem) {
  EXPECT_EQ(JsonText(json::value(0.0)), "0");
  EXPECT_EQ(JsonText(json::value(64.0)), "64");
  EXPECT_EQ(JsonText(json::value(1.0)), "1");
  EXPECT_EQ(JsonText(json::value(0.5)), "0.5");
  EXPECT_EQ(JsonText(json::value(-2.25)), "-2.25");
  EXPECT_EQ(JsonText(json::value(0.1)), "0.1");
  EXPECT_EQ(JsonText(json::value(1e300)), "1e+300");
  EXPECT_EQ(JsonText(json::value(std::nan(""))), "null");
  EXPECT_EQ(JsonText(json::value(int64_t{-7})), "-7");
  EXPECT_EQ(JsonText(json::value(uint64_t{18446744073709551615ull})), "18446744073709551615");
  // Everything else as Boost.JSON writes it, and what it writes parses back the same.
  json::value doc = json::parse(R"({"cpus":1.5,"a":[true,false,null,"x\"\n\u0001é"],"o":{"k":{}},"e":[]})");
  EXPECT_EQ(JsonText(doc), R"({"cpus":1.5,"a":[true,false,null,"x\"\n\u0001é"],"o":{"k":{}},"e":[]})");
  EXPECT_EQ(json::parse(JsonText(doc)), doc);
  EXPECT_EQ(JsonText(json::object{{"cpus", 4.0}, {"memory", 0.0}}), R"({"cpus":4,"memory":0})");
}

TEST(ParseJson, ParsesWhatIsWithinTheLimits) {
  auto v = ParseJson(R"({"a":[1,2,{"b":"c"}]})");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(JsonText(*v), R"({"a":[1,2,{"b":"c"}]})");
  // Exactly at the limit: 1 array + 3 numbers.
  EXPECT_TRUE(ParseJson("[1,2,3]", {.max_values = 4}));
  EXPECT_TRUE(ParseJson("[{},{\"a\":[1,2,3]}]", {.max_top_items = 2}));
}

TEST(ParseJson, RefusesMoreValuesThanTheLimitBeforeBuildingThem) {
  std::string zeros = "[";
  for (int i = 0; i < 1000000; ++i) zeros += "0,";
  zeros += "0]";
  auto v = ParseJson(zeros);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().kind, ErrorKind::kTooLarge);
  EXPECT_FALSE(ParseJson("[1,2,3]", {.max_values = 3}));
  // Keys are not values, but what they name is.
  EXPECT_FALSE(ParseJson(R"({"a":1,"b":2,"c":3})", {.max_values = 3}));
}

TEST(ParseJson, RefusesATopLevelArrayWithTooManyItems) {
  auto v = ParseJson("[{},{},{\"x\":[1,2,3,4,5]}]", {.max_top_items = 2});
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().kind, ErrorKind::kTooLarge);
  EXPECT_NE(v.error().message.find("at most 2 items"), std::string::npos) << v.error().message;
  // Items of nested arrays, and members of a top-level object, do not count.
  EXPECT_TRUE(ParseJson("[[1,2,3,4,5]]", {.max_top_items = 1}));
  EXPECT_TRUE(ParseJson(R"({"a":1,"b":2,"c":3})", {.max_top_items = 1}));
}

TEST(ParseJson, RefusesMalformedOrTooDeepJsonAsInvalid) {
  for (const std::string text : {"", "{", "[1,]", "nul", "{\"a\" 1}", "\xff", "[1] x"}) {
    auto v = ParseJson(text);
    ASSERT_FALSE(v) << text;
    EXPECT_EQ(v.error().kind, ErrorKind::kInvalid) << text;
  }
  std::string deep(33, '[');
  deep += std::string(33, ']');
  auto v = ParseJson(deep);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().kind, ErrorKind::kInvalid);
  EXPECT_TRUE(ParseJson(std::string(32, '[') + std::string(32, ']')));
}

}  // namespace
}  // namespace runlet
