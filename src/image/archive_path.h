// Paths as archives spell them, checked and normalized before any file system sees them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace runlet::image {

// Splits an archive entry's path into components: "./usr//bin/" -> {"usr", "bin"};
// the root ("./", ".") gives none. Refuses absolute paths, ".." components, components
// over 255 bytes, more than 256 components and paths over `max_bytes`.
Result<std::vector<std::string>> SplitArchivePath(std::string_view path, size_t max_bytes = 4096);

// The first `count` components joined with '/'.
std::string JoinPath(const std::vector<std::string>& parts, size_t count);

// "1.5 GiB"-style sizes for messages.
std::string HumanBytes(uint64_t bytes);

}  // namespace runlet::image
