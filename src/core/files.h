// Files handed to a run, and the rules for the paths users give them.
#pragma once

#include <string>
#include <string_view>

namespace runlet {

// A file to place in the work directory. `path` is relative ("src/main.go").
struct InputFile {
  std::string path;
  std::string content;
  bool executable = false;
};

// Checks a relative file path given by a user: "a/b.txt" yes; "/x", "../x", "a//b",
// "a/./b", "" or NUL no. Returns the reason for refusing, or "" if acceptable.
std::string CheckRelativePath(std::string_view path);

}  // namespace runlet
