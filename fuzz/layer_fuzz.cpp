// An image layer (a tar, plain or compressed) applied to a root file system
// (image/layer_apply.h). Whatever the layer says, nothing appears outside the root, and
// inside it no setuid or setgid bit, device node, fifo or socket is left.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

#include "core/unique_fd.h"
#include "fuzz/scratch.h"
#include "image/layer_apply.h"

namespace fs = std::filesystem;

namespace {
[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "%s\n", what.c_str());
  std::abort();
}

void CheckTree(const std::string& root) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    if (st.st_mode & (S_ISUID | S_ISGID)) Fail("a setuid or setgid bit is left: " + it->path().string());
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
      Fail("a special file is left: " + it->path().string());
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& dir = runlet::fuzz::ScratchDir();
  runlet::fuzz::EmptyDir(dir);
  const std::string root = dir + "/root", outside = dir + "/outside", layer = dir + "/layer.tar";
  ::mkdir(root.c_str(), 0755);
  ::mkdir(outside.c_str(), 0755);
  runlet::fuzz::WriteFile(outside + "/sentinel", "x", 1);
  runlet::fuzz::WriteFile(layer, data, size);

  runlet::UniqueFd root_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (root_fd.get() < 0) Fail("open the root");
  runlet::image::ExtractLimits limits;
  limits.max_bytes = 16 << 20;
  limits.max_entries = 10000;
  runlet::image::ExtractStats stats;
  // A second application of the same layer meets what the first one made.
  for (int pass = 0; pass < 2; ++pass) {
    if (!runlet::image::ApplyLayer(root_fd.get(), layer, limits, stats)) break;
  }

  // Nothing outside the root: the scratch directory holds what it held, unchanged.
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename());
  if (names != std::set<std::string>{"root", "outside", "layer.tar"}) Fail("the layer wrote outside the root");
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(outside)) out.insert(e.path().filename());
  if (out != std::set<std::string>{"sentinel"} || fs::file_size(outside + "/sentinel") != 1)
    Fail("the layer changed a directory outside the root");
  struct stat st;
  if (::lstat(layer.c_str(), &st) != 0 || static_cast<size_t>(st.st_size) != size) Fail("the layer changed its own file");
  CheckTree(root);
  return 0;
}
