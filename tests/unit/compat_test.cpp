// The pure parts of the compatible APIs (api/compat.h): npm-style version ranges as
// Piston reads them, base64 in Judge0's two styles, hex, and Judge0's output comparison.
#include <gtest/gtest.h>

#include "api/compat.h"

namespace runlet::api::compat {
namespace {

TEST(CompatSemver, RangesMatchAsNpmsSemverDoes) {
  const struct {
    const char* version;
    const char* range;
    bool match;
  } cases[] = {
      {"3.11.2", "*", true},         {"3.11.2", "", true},           {"3.11.2", "x", true},
      {"3.11.2", "3", true},         {"3.11.2", "4", false},         {"3.11.2", "3.11", true},
      {"3.11.2", "3.1", false},      {"3.11.2", "3.x", true},        {"3.11.2", "3.11.x", true},
      {"3.11.2", "3.11.2", true},    {"3.11.2", "3.11.3", false},    {"3.11.2", "=3.11.2", true},
      {"3.11.2", "v3.11.2", true},   {"3.11.2", "^3.9", true},       {"4.0.0", "^3.9", false},
      {"0.2.5", "^0.2.3", true},     {"0.3.0", "^0.2.3", false},     {"3.11.2", "~3.11.1", true},
      {"3.12.0", "~3.11.1", false},  {"3.11.2", ">=3.10 <4", true},  {"4.0.0", ">=3.10 <4", false},
      {"3.11.2", ">= 3.10", true},   {"3.11.2", ">3.11", false},     {"3.12.0", ">3.11", true},
      {"3.11.2", "<=3.11", true},    {"3.12.0", "<=3.11", false},    {"3.11.2", "2.x || 3.x", true},
      {"3.11.2", "1 || 2", false},   {"3.11.2", "three", false},     {"3.11.2", "3..1", false},
      {"3.11.2", "3.11.2.1", false}, {"3.11.2", ">*", false},        {"1.2.3", "99999999999999999", false},
  };
  for (const auto& c : cases) EXPECT_EQ(SemverSatisfies(c.version, c.range), c.match) << c.version << " ~ " << c.range;
  EXPECT_FALSE(SemverSatisfies("3.11", "*")) << "a version has three parts";
}

TEST(CompatBase64, DecodesEitherStyleAndEncodesJudge0sMimeStyle) {
  EXPECT_EQ(DecodeBase64("aGVsbG8="), "hello");
  EXPECT_EQ(DecodeBase64("aGVsbG8"), "hello") << "padding is optional";
  EXPECT_EQ(DecodeBase64("aGVs\nbG8=\n"), "hello");
  EXPECT_EQ(DecodeBase64(""), "");
  EXPECT_FALSE(DecodeBase64("aGVsbG8=x"));
  EXPECT_FALSE(DecodeBase64("a=GVsbG8"));
  EXPECT_FALSE(DecodeBase64("%%%"));
  const std::string long_text(100, 'x');
  const std::string mime = EncodeBase64Mime(long_text);
  EXPECT_EQ(mime.find('\n'), 60u);
  EXPECT_EQ(mime.back(), '\n');
  EXPECT_EQ(std::count(mime.begin(), mime.end(), '\n'), 3);
  EXPECT_EQ(DecodeBase64(mime), long_text);
  EXPECT_EQ(EncodeBase64Mime(""), "");
  EXPECT_EQ(EncodeBase64("\xff\xfe"), "//4=");
  EXPECT_EQ(DecodeHex("6869"), "hi");
  EXPECT_FALSE(DecodeHex("686"));
  EXPECT_FALSE(DecodeHex("zz"));
}

TEST(CompatOutputs, TrailingSpacesPerLineAndTrailingNewlinesDoNotCount) {
  EXPECT_TRUE(OutputsMatch("a\nb", "a  \nb\n\n"));
  EXPECT_TRUE(OutputsMatch("a \t\nb\n", "a\nb"));
  EXPECT_TRUE(OutputsMatch("", "\n\n  \n"));
  EXPECT_FALSE(OutputsMatch("a\nb", " a\nb")) << "leading spaces count";
  EXPECT_FALSE(OutputsMatch("a\n\nb", "a\nb")) << "inner blank lines count";
  EXPECT_FALSE(OutputsMatch("ab", "a b"));
}

TEST(CompatSignals, SignalsHaveTheirNames) {
  EXPECT_EQ(SignalName(9), "SIGKILL");
  EXPECT_EQ(SignalName(11), "SIGSEGV");
  EXPECT_EQ(SignalName(0), "");
}

}  // namespace
}  // namespace runlet::api::compat
