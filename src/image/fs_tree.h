// File-system helpers for the image store: trees removed without following symlinks or
// crossing mount points, temporary directories that clean up after themselves, files
// replaced atomically.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace runlet::image {

// Removes `name` (below the open directory `dirfd`) and, for a directory, everything
// in it. Never follows a symlink; refuses to descend into another file system (a mount
// point left inside), so a tree with a host directory mounted in it cannot delete the
// host's files. A missing `name` is success.
Status RemoveTreeAt(int dirfd, const std::string& name);
Status RemoveTree(const std::string& path);

// The names in the open directory `dirfd`, without "." and "..", in the order the file
// system gives them (collected first: changing a directory while reading its stream may
// skip entries). `what` names the directory in errors.
Result<std::vector<std::string>> DirEntries(int dirfd, const std::string& what);

// mkdir -p, mode 0755 for what it creates.
Status MakeDirs(const std::string& path);

// Writes `content` to a hidden temporary file beside `path` (".NAME.tmp-XXXXXX"), fsyncs
// it and renames it over `path`.
Status WriteFileAtomic(const std::string& path, std::string_view content, unsigned mode = 0644);

// Reads a whole regular file of at most `max_bytes`.
Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes = 1 << 20);

// A fresh directory (mkdtemp under `parent`, which is created if missing); removed with
// everything in it on destruction unless Release() was called.
class TempDir {
 public:
  static Result<TempDir> Create(const std::string& parent, std::string_view prefix);
  TempDir(TempDir&& o) noexcept;
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }
  // Keeps the directory; returns its path.
  std::string Release();

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace runlet::image
