// Runtime images: named root file systems that sandboxes run on.
//
// "host" is always there: the host's own toolchains, read-only. Other images live under
// <data_dir>/images, content-addressed: rootfs trees in blobs/sha256/<digest>/rootfs,
// names in refs/<name> (a file holding the digest), metadata in blobs/.../image.json.
// Built from Debian packages with debootstrap, or imported from an OCI image layout
// tarball or a `docker save` archive. New trees are assembled in <data_dir>/images/tmp
// and renamed into place whole, so a store never holds a half-made image; what a killed
// build or import left in tmp is removed by the next one.
//
// Thread-safety: Resolve and List may run concurrently with anything; Build, Import and
// Remove serialize their final step on a lock file, so several processes may share a
// data directory. Removing an image while a sandbox runs on it is not prevented.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "image/layer_apply.h"

namespace runlet::image {

struct ImageInfo {
  std::string name;         // "host", "bookworm-python"
  std::string digest;       // "sha256:..." ("" for host)
  std::string rootfs;       // absolute path of the root file system ("/" for host)
  std::string source;       // how it was made: "host", "debootstrap bullseye: python3 ...", "import x.tar"
  uint64_t size_bytes = 0;  // on disk
  std::string created;      // RFC 3339 UTC
};

// Progress lines for long operations (debootstrap output, layer extraction).
using ProgressFn = std::function<void(std::string_view line)>;

class TempDir;

class ImageStore {
 public:
  explicit ImageStore(std::string data_dir);

  // "host" or a stored image. A missing image's error says how to build or import it.
  Result<ImageInfo> Resolve(std::string_view name) const;
  std::vector<ImageInfo> List() const;

  // debootstrap `suite` (bookworm, bullseye, trixie) with `packages`; replaces an image of
  // the same name (the old blob is removed if nothing else refers to it). Takes minutes.
  Result<ImageInfo> Build(const std::string& name, const std::string& suite,
                          const std::vector<std::string>& packages, const ProgressFn& progress);
  // The same image as Build, made as a layer over the suite's shared base (BaseImageName,
  // built first when missing or made otherwise): only `packages` and what they need are
  // installed, and the base's files are shared by hard links (image/layer_build.h). Its
  // source is Build's, so FindBuild takes either. Several processes and threads may
  // build layers of one store at once; one base per suite is built.
  Result<ImageInfo> BuildLayered(const std::string& name, const std::string& suite,
                                 const std::vector<std::string>& packages, const ProgressFn& progress);
  // The image `name` when it is a debootstrap build of exactly `suite` and `packages`
  // (as recorded in its source when it was built), so that scripts and CI can skip a
  // build of minutes; otherwise an error saying what is there instead.
  Result<ImageInfo> FindBuild(const std::string& name, const std::string& suite,
                              const std::vector<std::string>& packages) const;
  // An OCI image layout tarball or a `docker save` archive. Layers are applied in order
  // with whiteouts; absolute paths, "..", device nodes, and writes through symlinks are
  // refused or contained within the rootfs.
  Result<ImageInfo> Import(const std::string& name, const std::string& tarball, const ProgressFn& progress);
  Status Remove(const std::string& name);

  // Writes the image's root file system as a tarball for `docker import` ("-" = stdout).
  Status Export(const std::string& name, const std::string& file, const ProgressFn& progress) const;

  const std::string& data_dir() const { return data_dir_; }
  // Bounds on what one import may unpack (default: 8 GiB of file contents, 2M entries).
  void set_extract_limits(const ExtractLimits& limits) { limits_ = limits; }

 private:
  std::string images_dir() const { return data_dir_ + "/images"; }
  std::string blob_dir(const std::string& digest) const;
  Status PrepareDirs() const;
  // Moves the finished tree in `staging` (holding rootfs/) into the store under `name`.
  Result<ImageInfo> Commit(const std::string& name, TempDir& staging, const std::string& source,
                           const ProgressFn& progress);

  std::string data_dir_;
  ExtractLimits limits_;
};

// $RUNLET_DATA, or /var/lib/runlet.
std::string DefaultDataDir();

// What a debootstrap build records as its source: "debootstrap bullseye: python3 ...".
std::string DebootstrapSource(const std::string& suite, const std::vector<std::string>& packages);

// The shared base of a suite's layered images: "base-bookworm".
std::string BaseImageName(const std::string& suite);

// Checks an image name: [a-z0-9][a-z0-9._-]{0,63}; "" when fine, else why not.
std::string CheckImageName(std::string_view name);

}  // namespace runlet::image
