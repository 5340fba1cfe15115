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
