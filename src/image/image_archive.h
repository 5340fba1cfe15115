// Reads an image archive: an OCI image layout tarball (oci-layout, index.json, blobs/) or
// a `docker save` archive (manifest.json listing each image's layer files), and finds the
// layers of its image, bottom first.
//
// The archive is untrusted. Its files are unpacked to numbered files in a scratch
// directory (never under the names the archive gives), its symlinks are resolved by name
// within the archive only, its JSON is size-limited, and every OCI blob is checked
// against its digest.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "image/layer_apply.h"

namespace runlet::image {

struct ImageArchive {
  std::string format;                    // "oci" or "docker-save"
  std::vector<std::string> layer_files;  // the layer tarballs (in the scratch directory), bottom first
  std::vector<std::string> layer_names;  // for messages: digests or archive paths
  std::string note;                      // e.g. which of several images was chosen
};

// Unpacks `tarball` into `scratch_dir` (an empty directory the caller removes) and reads
// its manifests. `limits` bound the archive's bytes and entries.
Result<ImageArchive> UnpackImageArchive(const std::string& tarball, const std::string& scratch_dir,
                                        const ExtractLimits& limits);

}  // namespace runlet::image
