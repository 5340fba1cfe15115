#include "core/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace runlet {
namespace {

using namespace std::string_literals;

const std::string kReplacement = "\xEF\xBF\xBD";

TEST(IsValidUtf8, AcceptsWellFormedTextOfEveryLength) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ASCII\n\t"));
  EXPECT_TRUE(IsValidUtf8("\x00"s));                 // NUL is a character
  EXPECT_TRUE(IsValidUtf8("\xC2\xA9"));              // U+00A9
  EXPECT_TRUE(IsValidUtf8("\xE2\x82\xAC"));          // U+20AC
  EXPECT_TRUE(IsValidUtf8("\xED\x9F\xBF"));          // U+D7FF, just below the surrogates
  EXPECT_TRUE(IsValidUtf8("\xEE\x80\x80"));          // U+E000, just above them
  EXPECT_TRUE(IsValidUtf8("\xEF\xBF\xBF"));          // U+FFFF
  EXPECT_TRUE(IsValidUtf8("\xF0\x90\x80\x80"));      // U+10000
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x98\x80"));      // U+1F600
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));      // U+10FFFF, the last code point
  EXPECT_TRUE(IsValidUtf8("h\xC3\xA9llo w\xC3\xB6rld"));
}

TEST(IsValidUtf8, RefusesOverlongEncodings) {
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // '/' in two bytes
  EXPECT_FALSE(IsValidUtf8("\xC1\xBF"));
  EXPECT_FALSE(IsValidUtf8("\xC0\x80"));          // "modified UTF-8" NUL
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // '/' in three bytes
  EXPECT_FALSE(IsValidUtf8("\xE0\x9F\xBF"));      // U+07FF in three bytes
  EXPECT_FALSE(IsValidUtf8("\xF0\x80\x80\xAF"));  // '/' in four bytes
  EXPECT_FALSE(IsValidUtf8("\xF0\x8F\xBF\xBF"));  // U+FFFF in four bytes
}

TEST(IsValidUtf8, RefusesSurrogates) {
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));                  // U+D800
  EXPECT_FALSE(IsValidUtf8("\xED\xBF\xBF"));                  // U+DFFF
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\xBD\xED\xB8\x80"));      // CESU-8 pair for U+1F600
}

TEST(IsValidUtf8, RefusesCodePointsAboveTheUnicodeRange) {
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));          // U+110000
  EXPECT_FALSE(IsValidUtf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\xF7\xBF\xBF\xBF"));          // U+1FFFFF
  EXPECT_FALSE(IsValidUtf8("\xF8\x88\x80\x80\x80"));      // old five-byte form
  EXPECT_FALSE(IsValidUtf8("\xFC\x84\x80\x80\x80\x80"));  // old six-byte form
  EXPECT_FALSE(IsValidUtf8("\xFE"));
  EXPECT_FALSE(IsValidUtf8("\xFF"));
}

TEST(IsValidUtf8, RefusesTruncatedAndStraySequences) {
  EXPECT_FALSE(IsValidUtf8("\xC3"));              // lead byte at the end
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));          // two of three
  EXPECT_FALSE(IsValidUtf8("\xF0\x9F\x98"));      // three of four
  EXPECT_FALSE(IsValidUtf8("\xE2\x82" "A"));      // cut short by ASCII
  EXPECT_FALSE(IsValidUtf8("\x80"));              // continuation without a lead
  EXPECT_FALSE(IsValidUtf8("a\xBF" "b"));
  EXPECT_FALSE(IsValidUtf8("\xC3\xA9\xA9"));      // one continuation too many
}

TEST(SanitizeUtf8, LeavesValidTextAlone) {
  for (const std::string& text : {""s, "hello\n"s, "\x00x"s, "\xE2\x82\xAC \xF0\x9F\x98\x80"s,
                                 "\xF4\x8F\xBF\xBF"s}) {
    EXPECT_EQ(SanitizeUtf8(text), text);
  }
}

TEST(SanitizeUtf8, ReplacesAStrayByteWithOneReplacementCharacter) {
  EXPECT_EQ(SanitizeUtf8("a\xFF" "b"), "a" + kReplacement + "b");
  EXPECT_EQ(SanitizeUtf8("\x80"), kReplacement);
  EXPECT_EQ(SanitizeUtf8("ok\xC3"), "ok" + kReplacement);
}

TEST(SanitizeUtf8, NeverSwallowsTheCharacterAfterATruncatedSequence) {
  const std::string out = SanitizeUtf8("\xE2\x82" "A\xF0\x9F\x98" "B");
  EXPECT_TRUE(IsValidUtf8(out));
  EXPECT_NE(out.find("A"), std::string::npos) << out;
  EXPECT_NE(out.find("B"), std::string::npos) << out;
  EXPECT_EQ(out.find(kReplacement), 0u);
  EXPECT_EQ(out.back(), 'B');
}

TEST(SanitizeUtf8, ProducesValidUtf8FromEveryKindOfIllFormedInput) {
  for (const std::string& text :
       {"\xC0\xAF"s, "\xE0\x80\xAF"s, "\xED\xA0\x80"s, "\xF4\x90\x80\x80"s, "\xF8\x88\x80\x80\x80"s,
        "\xE2\x82"s, "x\xF0\x9F\x98"s, "\xFE\xFF"s, "\xC3\xA9\xA9"s}) {
    const std::string out = SanitizeUtf8(text);
    EXPECT_TRUE(IsValidUtf8(out)) << testing::PrintToString(out);
    EXPECT_NE(out.find(kReplacement), std::string::npos) << testing::PrintToString(out);
    EXPECT_FALSE(IsValidUtf8(text)) << testing::PrintToString(text);
  }
}

TEST(SanitizeUtf8, KeepsValidCharactersAroundABadOne) {
  EXPECT_EQ(SanitizeUtf8("\xC3\xA9\xFF\xE2\x82\xAC"), "\xC3\xA9" + kReplacement + "\xE2\x82\xAC");
}

}  // namespace
}  // namespace runlet
