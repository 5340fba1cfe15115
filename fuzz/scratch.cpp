#include "fuzz/scratch.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace runlet::fuzz {
namespace fs = std::filesystem;

const std::string& ScratchDir() {
  // Never destroyed: the exit handler below still needs it.
  static const std::string* dir = new std::string([] {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/runlet-fuzz-XXXXXX";
    if (!::mkdtemp(pattern.data())) {
      std::perror("mkdtemp");
      std::abort();
    }
    std::atexit([] {
      EmptyDir(ScratchDir());
      ::rmdir(ScratchDir().c_str());
    });
    return pattern;
  }());
  return *dir;
}

void EmptyDir(const std::string& dir) {
  std::error_code ec;
  // Directories the input made unreadable or unwritable are opened up first.
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
  }
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    fs::permissions(entry.path(), fs::perms::owner_all, fs::perm_options::add | fs::perm_options::nofollow, ec);
    fs::remove_all(entry.path(), ec);
    if (ec) {
      std::fprintf(stderr, "scratch: cannot remove %s: %s\n", entry.path().c_str(), ec.message().c_str());
      std::abort();
    }
  }
}

void WriteFile(const std::string& path, const void* data, size_t size) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || (size && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
    std::perror(path.c_str());
    std::abort();
  }
}

}  // namespace runlet::fuzz
