// A scratch directory per harness process for harnesses that write files, emptied
// between inputs (whatever modes the input gave its files) and removed at exit.
#pragma once

#include <string>

namespace runlet::fuzz {

// The process's scratch directory (made on first use, under $TMPDIR or /tmp).
const std::string& ScratchDir();
// Removes everything below `dir` (not `dir` itself), making directories writable first.
void EmptyDir(const std::string& dir);
// Writes `size` bytes to `path`; aborts on failure.
void WriteFile(const std::string& path, const void* data, size_t size);

}  // namespace runlet::fuzz
