// Splits the engine's multiplexed attach/exec stream (no TTY) into stdout and stderr.
// Each frame is an 8-byte header {stream, 0, 0, 0, size as 32-bit big endian} and `size`
// bytes of payload; stream 1 is stdout, 2 stderr (0 stdin and 3, the engine's own
// errors, are passed on as they are). Frames may arrive split anywhere.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace runlet::platform::docker {

class FrameDemuxer {
 public:
  using Sink = std::function<void(int stream, std::string_view payload)>;
  explicit FrameDemuxer(Sink sink) : sink_(std::move(sink)) {}

  // Passes each complete payload piece to the sink as soon as it is known; a frame's
  // payload may be delivered in several pieces.
  void Feed(std::string_view data);
  // True when the stream stopped inside a frame (a header or payload was cut short).
  bool mid_frame() const { return header_have_ > 0 || remaining_ > 0; }

 private:
  Sink sink_;
  unsigned char header_[8] = {};
  size_t header_have_ = 0;
  int stream_ = 0;
  uint32_t remaining_ = 0;
};

}  // namespace runlet::platform::docker
