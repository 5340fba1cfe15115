// Files handed to a run, the rules for the paths users give them, and the one way paths
// inside a tree Runlet does not trust (an image's root, a run's work directory) are opened.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <string>
#include <string_view>

#include "core/error.h"
#include "core/unique_fd.h"

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

// Top-level names of a root file system that Runlet provides itself in every sandbox and
// container. An image's own entries of these names are replaced at import (image/) and
// never shown or written through (sandbox/).
inline constexpr const char* kRunletDir = ".runlet";  // the runner's passwd and group
inline constexpr const char* kMountPointDirs[] = {"proc", "dev", "tmp", "work"};

// Opens `path` below the open directory `dir_fd` as every path inside an untrusted tree
// must be opened: no component may be a symlink (absolute or relative, the last one
// included), and the walk cannot leave `dir_fd` (openat2 with RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS; Linux 5.6, older than the close_range the
// sandbox needs). `path` is relative; "." is `dir_fd` itself. `flags` and `mode` are
// open(2)'s; O_CLOEXEC is added. With O_PATH | O_NOFOLLOW a symlink as the last component
// is opened itself. A symlink on the way fails with sys_errno ELOOP, ".." or an absolute
// path with EXDEV, and the message says so.
Result<UniqueFd> OpenBeneath(int dir_fd, std::string_view path, int flags, mode_t mode = 0);

// lstat of `path` below `dir_fd`, reached as OpenBeneath does: a symlink as the last
// component is described itself (S_ISLNK), one on the way fails with ELOOP.
Result<struct stat> StatBeneath(int dir_fd, std::string_view path);

// Makes the directory `path` below `dir_fd` (its parent must exist) or keeps an existing
// one, and gives it exactly `mode` (no umask) through its own fd, never by name: an
// existing symlink or file there is refused, never followed. Returns the directory open.
Result<UniqueFd> MakeDirBeneath(int dir_fd, std::string_view path, mode_t mode);

}  // namespace runlet
