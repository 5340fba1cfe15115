// Turns a run's output stream into line entries: gapless seq from 1, stdout and stderr
// kept apart, blank lines kept, a last line without a newline still delivered, and very
// long lines cut into pieces so memory stays bounded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/records.h"

namespace runlet::runs {

class LogWriter {
 public:
  static constexpr size_t kMaxLine = 64 * 1024;

  // Splits `data` into lines; complete ones are appended to `out`.
  void Add(Stream stream, std::string_view data, std::vector<store::LogEntry>& out);
  // The unfinished last line of each stream, if any, as entries.
  void Finish(std::vector<store::LogEntry>& out);
  int64_t last_seq() const { return seq_; }
  // The unfinished last line of `stream` so far (not yet an entry).
  const std::string& partial(Stream stream) const { return partial_[stream == Stream::kStdout ? 0 : 1]; }

 private:
  void Emit(Stream stream, std::string text, std::vector<store::LogEntry>& out);
  std::string partial_[2];
  int64_t seq_ = 0;
};

}  // namespace runlet::runs
