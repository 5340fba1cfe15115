// A run's log lines packed into chunks: one stored row holds many consecutive entries
// (their seqs implied by the chunk's first seq, streams and times encoded in a few
// bytes each), optionally deflated. An empty line costs about 2 bytes before
// compression instead of a row of its own.
//
// Layout of a chunk (before compression): zigzag varint of the first entry's time in
// milliseconds since the epoch, then per entry: varint (text bytes << 1 | stream bit:
// 1 = stderr), zigzag varint of the time since the previous entry (ms), the text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "store/records.h"

namespace runlet::store {

enum class ChunkEncoding : int { kRaw = 0, kDeflate = 1 };

// The entries must have consecutive seqs (the chunk stores only the first).
std::string EncodeLogChunk(const std::vector<LogEntry>& entries, size_t begin, size_t end, ChunkEncoding encoding);
// Decodes a chunk whose first entry has seq `first_seq`: its entries after seq `after`,
// at most `limit` of them. kInternal on corrupt data.
Result<std::vector<LogEntry>> DecodeLogChunk(const std::string& data, ChunkEncoding encoding, int64_t first_seq,
                                             int64_t after = 0, size_t limit = SIZE_MAX);

// Consecutive entries packed for one stored row.
struct PackedChunk {
  int64_t first_seq = 0, last_seq = 0;
  std::string data;
};
// `entries` (consecutive seqs, or split where they are not) as chunks of at most 2048
// entries or about 256 KiB of text each.
std::vector<PackedChunk> PackLogChunks(const std::vector<LogEntry>& entries, ChunkEncoding encoding);
// A page of a log being read chunk by chunk: adds the chunk's entries after `after` to
// `page` while it holds fewer than `limit` entries and fewer than `max_bytes` of text
// (`bytes` counts them). kInternal on corrupt data.
Status AddChunkToPage(const std::string& data, ChunkEncoding encoding, int64_t first_seq, int64_t after, int limit,
                      size_t max_bytes, std::vector<LogEntry>& page, size_t& bytes);

// "2026-11-25T02:28:22.123Z" <-> milliseconds since the epoch (nullopt if malformed).
std::optional<int64_t> ParseRfc3339Ms(const std::string& text);
std::string FormatRfc3339Ms(int64_t ms);

}  // namespace runlet::store
