// The runtime catalog: runtime definitions loaded from JSON files (one per runtime, in
// a directory such as the repository's runtimes/), plus the global FAQ (faq.json).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "runtime/runtime.h"

namespace runlet::runtime {

class Catalog {
 public:
  // Loads every *.json but faq.json from `dir`; a malformed file is an error naming it.
  static Result<Catalog> LoadDir(const std::string& dir);
  // Parses one runtime definition (the format of runtimes/*.json).
  static Result<Runtime> ParseRuntime(std::string_view json_text);

  const std::vector<Runtime>& runtimes() const { return runtimes_; }
  const std::vector<FaqEntry>& faq() const { return faq_; }
  const Runtime* Find(std::string_view id) const;
  // The enabled runtime for a file name's extension; the first in id order when
  // several share it (e.g. python-3.11 before python-3.9 is decided by `preferred`).
  const Runtime* ForFile(std::string_view file_name) const;

  void Add(Runtime runtime);  // replaces one with the same id

 private:
  std::vector<Runtime> runtimes_;
  std::vector<FaqEntry> faq_;
};

// Where runtimes/ is: $RUNLET_RUNTIMES, else next to the source tree the binary was
// built from (walking up from the executable), else /usr/share/runlet/runtimes.
std::string DefaultRuntimesDir();

}  // namespace runlet::runtime
