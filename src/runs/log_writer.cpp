#include "runs/log_writer.h"

#include "store/store.h"

namespace runlet::runs {

void LogWriter::Emit(Stream stream, std::string text, std::vector<store::LogEntry>& out) {
  out.push_back({++seq_, stream, std::move(text), store::NowRfc3339()});
}

void LogWriter::Add(Stream stream, std::string_view data, std::vector<store::LogEntry>& out) {
  std::string& partial = partial_[stream == Stream::kStdout ? 0 : 1];
  while (!data.empty()) {
    const size_t newline = data.find('\n');
    if (newline == std::string_view::npos) {
      partial.append(data);
      data = {};
    } else {
      partial.append(data.substr(0, newline));
      data.remove_prefix(newline + 1);
      Emit(stream, std::move(partial), out);
      partial.clear();
    }
    while (partial.size() >= kMaxLine) {
      Emit(stream, partial.substr(0, kMaxLine), out);
      partial.erase(0, kMaxLine);
    }
  }
}

void LogWriter::Finish(std::vector<store::LogEntry>& out) {
  for (int i = 0; i < 2; ++i) {
    if (!partial_[i].empty()) {
      Emit(i == 0 ? Stream::kStdout : Stream::kStderr, std::move(partial_[i]), out);
      partial_[i].clear();
    }
  }
}

}  // namespace runlet::runs
