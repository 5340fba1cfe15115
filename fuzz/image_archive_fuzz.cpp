// Image archives (image/image_archive.h): an OCI layout or `docker save` tarball unpacked
// to a scratch directory and its manifests read; the layers it names are then applied
// to a root, as an import does. Nothing is written outside the scratch directory and
// the root.
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
#include "image/image_archive.h"
#include "image/layer_apply.h"

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& dir = runlet::fuzz::ScratchDir();
  runlet::fuzz::EmptyDir(dir);
  const std::string scratch = dir + "/scratch", root = dir + "/root", tarball = dir + "/image.tar";
  ::mkdir(scratch.c_str(), 0700);
  ::mkdir(root.c_str(), 0755);
  runlet::fuzz::WriteFile(tarball, data, size);

  runlet::image::ExtractLimits limits;
  limits.max_bytes = 16 << 20;
  limits.max_entries = 10000;
  auto archive = runlet::image::UnpackImageArchive(tarball, scratch, limits);
  if (archive) {
    if (archive->format != "oci" && archive->format != "docker-save") std::abort();
    if (archive->layer_files.size() != archive->layer_names.size()) std::abort();
    runlet::UniqueFd root_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    runlet::image::ExtractStats stats;
    for (const auto& layer : archive->layer_files) {
      // Layer files are the scratch directory's own numbered files, never archive names.
      if (fs::path(layer).parent_path() != fs::path(scratch) && layer.rfind(scratch + "/", 0) != 0) {
        std::fprintf(stderr, "a layer outside the scratch directory: %s\n", layer.c_str());
        std::abort();
      }
      if (!runlet::image::ApplyLayer(root_fd.get(), layer, limits, stats)) break;
    }
  }
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename());
  if (names != std::set<std::string>{"scratch", "root", "image.tar"}) {
    std::fprintf(stderr, "the archive wrote outside its scratch directory\n");
    std::abort();
  }
  return 0;
}
