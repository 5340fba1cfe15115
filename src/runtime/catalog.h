// The runtime catalog: runtime definitions loaded from JSON files (one per runtime, in
// a directory such as the repository's runtimes/), plus the global FAQ (faq.json).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

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
  // The runtime with this id, else the one that lists it among its aliases.
  const Runtime* Find(std::string_view id) const;
  // The enabled runtime for a file name's extension; when several share it, the one
  // with the highest declared version (go-1.19 over go-1.15), then the first loaded.
  const Runtime* ForFile(std::string_view file_name) const;

  void Add(Runtime runtime);  // replaces one with the same id
  void SetFaq(std::vector<FaqEntry> faq) { faq_ = std::move(faq); }

 private:
  std::vector<Runtime> runtimes_;
  std::vector<FaqEntry> faq_;
};

// Orders dotted versions by their numbers: "3.11" > "3.9", "1.19" > "1.19rc1" > "1.15";
// "" is lowest. Returns <0, 0 or >0.
int CompareVersions(std::string_view a, std::string_view b);

// Limits as written in runtime files and API requests: {"time": "2s", "memory": "256M",
// "pids": 64, ...} over `base`; unknown keys and out-of-range values are errors.
Result<Limits> ParseLimitsJson(const boost::json::value* value, Limits base);

// Where runtimes/ is: $RUNLET_RUNTIMES, else next to the source tree the binary was
// built from (walking up from the executable), else /usr/share/runlet/runtimes.
std::string DefaultRuntimesDir();

}  // namespace runlet::runtime
