#include "sandbox/rootfs.h"

#include <gtest/gtest.h>

#include <string>

namespace runlet::sandbox {
namespace {

using namespace std::string_literals;

TEST(CheckRelativePath, AcceptsPlainRelativePaths) {
  for (const std::string& path : {"main.c"s, "src/main.go"s, "a/b/c/d.txt"s, ".hidden"s, "..dots"s,
                                 "dots.."s, "a/.b"s, "a b/c d"s, "\xC3\xA9t\xC3\xA9.txt"s,
                                 std::string(255, 'x'), "a/" + std::string(255, 'y')}) {
    EXPECT_EQ(CheckRelativePath(path), "") << path;
  }
}

TEST(CheckRelativePath, RefusesParentDirectoryComponents) {
  for (const char* path : {"..", "../x", "a/../b", "a/..", "a/b/../../.."}) {
    EXPECT_NE(CheckRelativePath(path), "") << path;
  }
}

TEST(CheckRelativePath, RefusesDotComponents) {
  for (const char* path : {".", "./x", "a/./b", "a/."}) EXPECT_NE(CheckRelativePath(path), "") << path;
}

TEST(CheckRelativePath, RefusesAbsolutePaths) {
  for (const char* path : {"/", "/etc/passwd", "//x"}) {
    const std::string why = CheckRelativePath(path);
    EXPECT_NE(why, "") << path;
    EXPECT_NE(why.find("absolute"), std::string::npos) << why;
  }
}

TEST(CheckRelativePath, RefusesEmptyPathsAndEmptyComponents) {
  for (const char* path : {"", "a//b", "a/", "a/b/", "/"}) EXPECT_NE(CheckRelativePath(path), "") << path;
  EXPECT_NE(CheckRelativePath("").find("empty"), std::string::npos);
  EXPECT_NE(CheckRelativePath("a//b").find("empty"), std::string::npos);
}

TEST(CheckRelativePath, RefusesNulBytes) {
  for (const std::string& path : {"\0"s, "a\0b"s, "main.c\0.txt"s, "a/\0/b"s}) {
    const std::string why = CheckRelativePath(path);
    EXPECT_NE(why, "") << testing::PrintToString(path);
    EXPECT_NE(why.find("NUL"), std::string::npos) << why;
  }
}

TEST(CheckRelativePath, RefusesControlAndBidiCharactersThatDisguiseNames) {
  // ESC (a terminal escape), CR/LF, other C0 controls, DEL, C1 controls (U+0085,
  // U+009B: CSI), bidirectional embeddings/overrides/isolates and marks.
  for (const std::string& path :
       {"a\x1B[31mred.py"s, "main.py\r"s, "evil\nmain.py"s, "tab\there"s, "\x01"s, "del\x7F.py"s,
        "c1\xC2\x85.py"s, "csi\xC2\x9B""2J.py"s, "gpj.\xE2\x80\xAE""exe.py"s, "\xE2\x80\xAA"s, "\xE2\x80\xAB"s,
        "\xE2\x80\xAC"s, "\xE2\x80\xAD"s, "dir/\xE2\x81\xA6x"s, "\xE2\x81\xA7"s, "\xE2\x81\xA8"s,
        "x\xE2\x81\xA9"s, "lrm\xE2\x80\x8E"s, "rlm\xE2\x80\x8F"s, "alm\xD8\x9C"s}) {
    const std::string why = CheckRelativePath(path);
    EXPECT_NE(why, "") << testing::PrintToString(path);
    EXPECT_TRUE(why.find("control") != std::string::npos) << why;
  }
  // Neighbours that are fine: U+00A0, U+2029's neighbours U+2010 (hyphen), U+2070, é, ü, 日本.
  for (const std::string& path : {"nb\xC2\xA0sp.py"s, "a\xE2\x80\x90""b.py"s, "x\xE2\x81\xB0.py"s,
                                  "\xC3\xA9\xC3\xBC.py"s, "\xE6\x97\xA5\xE6\x9C\xAC.py"s}) {
    EXPECT_EQ(CheckRelativePath(path), "") << testing::PrintToString(path);
  }
}

TEST(CheckRelativePath, RefusesOverlongComponentsAndPaths) {
  EXPECT_NE(CheckRelativePath(std::string(256, 'x')), "");
  EXPECT_NE(CheckRelativePath("a/" + std::string(256, 'x') + "/b"), "");
  std::string deep;
  while (deep.size() <= 1024) deep += "abcdefg/";
  deep += "f";
  EXPECT_NE(CheckRelativePath(deep), "");
}

}  // namespace
}  // namespace runlet::sandbox
