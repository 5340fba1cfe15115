#include "platform/docker/frame_demuxer.h"

#include <algorithm>

namespace runlet::platform::docker {

void FrameDemuxer::Feed(std::string_view data) {
  while (!data.empty()) {
    if (remaining_ == 0) {
      const size_t take = std::min(data.size(), sizeof header_ - header_have_);
      std::copy_n(data.data(), take, header_ + header_have_);
      header_have_ += take;
      data.remove_prefix(take);
      if (header_have_ < sizeof header_) return;
      header_have_ = 0;
      stream_ = header_[0];
      remaining_ = (uint32_t{header_[4]} << 24) | (uint32_t{header_[5]} << 16) | (uint32_t{header_[6]} << 8) |
                   uint32_t{header_[7]};
      continue;
    }
    const size_t take = std::min<size_t>(data.size(), remaining_);
    sink_(stream_, data.substr(0, take));
    remaining_ -= static_cast<uint32_t>(take);
    data.remove_prefix(take);
  }
}

}  // namespace runlet::platform::docker
