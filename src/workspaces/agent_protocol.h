// The frames between the server and a workspace's agent (`runlet-workspace-agent`, the one
// long-lived program of a workspace's sandbox, which starts terminals, commands, file
// operations and preview connections inside it). Server to agent: the agent's stdin;
// agent to server: its stdout. Header-only, plain C++ with no library beyond the
// standard one, so that the static agent and the server share it.
//
// A frame: 4-byte payload length, 4-byte channel, 1-byte type (little-endian), payload.
// The agent runs as the workspace's unprivileged user inside its sandbox: the server
// trusts nothing it says beyond what concerns that workspace, and bounds every frame.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace runlet::workspaces::protocol {

inline constexpr size_t kHeaderBytes = 9;
inline constexpr uint32_t kMaxPayload = 4u << 20;
// Terminal and connection output the agent sends before the server acknowledges it.
inline constexpr uint32_t kWindowBytes = 256u << 10;

enum class Type : uint8_t {
  kReady = 1,         // a->s: the agent runs
  kOpenTerminal = 2,  // s->a: u32 cols, u32 rows: a shell on a new PTY
  kData = 3,          // both: bytes for or from a terminal, a command's stdin, a connection
  kResize = 4,        // s->a: u32 cols, u32 rows
  kAck = 5,           // s->a: u32 bytes of kData the server has passed on
  kClose = 6,         // s->a: hang up / close; a->s: the channel ended: i32 wait status (-1: none)
  kExec = 7,          // s->a: str workdir, str stdin, u32 timeout_ms, u32 max_output, u32 argc, str argv...
  kExecResult = 8,    // a->s: i32 errno, i32 exit_code, i32 signal, u32 wall_ms, u32 flags, str stdout, str stderr
  kFileList = 9,      // s->a: (nothing) -> kFileResult: repeated (str path, u32 kind, u64 size)
  kFileRead = 10,     // s->a: str path, u32 max -> kFileResult: content
  kFileWrite = 11,    // s->a: str path, str content -> kFileResult: empty
  kFileDelete = 12,   // s->a: str path -> kFileResult: empty
  kFileResult = 13,   // a->s: i32 errno (0 = ok), then the operation's payload
  kConnect = 14,      // s->a: u32 port: a TCP connection to 127.0.0.1:port in the workspace
  kConnected = 15,    // a->s: i32 errno (0 = connected)
};

// kExecResult flags.
inline constexpr uint32_t kStdoutTruncated = 1, kStderrTruncated = 2, kTimedOut = 4;
// kFileList kinds.
inline constexpr uint32_t kKindFile = 0, kKindDirectory = 1, kKindOther = 2;

struct Frame {
  uint32_t channel = 0;
  Type type = Type::kReady;
  std::string payload;
};

inline void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void PutStr(std::string& out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

inline std::string Encode(uint32_t channel, Type type, std::string_view payload) {
  std::string out;
  out.reserve(kHeaderBytes + payload.size());
  PutU32(out, static_cast<uint32_t>(payload.size()));
  PutU32(out, channel);
  out.push_back(static_cast<char>(type));
  out.append(payload);
  return out;
}

// Reads fields of a payload in order; any read past the end sets ok() false.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool ok() const { return ok_; }
  bool done() const { return data_.empty(); }
  uint32_t U32() {
    if (data_.size() < 4) return Bad<uint32_t>();
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<unsigned char>(data_[i])) << (8 * i);
    data_.remove_prefix(4);
    return v;
  }
  int32_t I32() { return static_cast<int32_t>(U32()); }
  uint64_t U64() {
    const uint64_t lo = U32();
    const uint64_t hi = U32();
    return lo | (hi << 32);
  }
  std::string_view Str() {
    const uint32_t n = U32();
    if (!ok_ || data_.size() < n) return Bad<std::string_view>();
    std::string_view s = data_.substr(0, n);
    data_.remove_prefix(n);
    return s;
  }

 private:
  template <class T>
  T Bad() {
    ok_ = false;
    data_ = {};
    return T{};
  }
  std::string_view data_;
  bool ok_ = true;
};

// Splits a byte stream into frames. Feed() appends; Next() takes one complete frame.
// A length above kMaxPayload is an error (broken() stays true).
class Parser {
 public:
  void Feed(std::string_view bytes) { buffer_.append(bytes); }
  bool broken() const { return broken_; }
  bool Next(Frame& frame) {
    if (broken_ || buffer_.size() - offset_ < kHeaderBytes) return false;
    Reader header(std::string_view(buffer_).substr(offset_, kHeaderBytes));
    const uint32_t length = header.U32();
    const uint32_t channel = header.U32();
    const uint8_t type = static_cast<uint8_t>(buffer_[offset_ + 8]);
    if (length > kMaxPayload) {
      broken_ = true;
      return false;
    }
    if (buffer_.size() - offset_ < kHeaderBytes + length) return false;
    frame.channel = channel;
    frame.type = static_cast<Type>(type);
    frame.payload.assign(buffer_, offset_ + kHeaderBytes, length);
    offset_ += kHeaderBytes + length;
    if (offset_ == buffer_.size()) {
      buffer_.clear();
      offset_ = 0;
    } else if (offset_ > (64u << 10)) {
      buffer_.erase(0, offset_);
      offset_ = 0;
    }
    return true;
  }
  size_t buffered() const { return buffer_.size() - offset_; }

 private:
  std::string buffer_;
  size_t offset_ = 0;
  bool broken_ = false;
};

}  // namespace runlet::workspaces::protocol
