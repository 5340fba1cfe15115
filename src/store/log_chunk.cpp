#include "store/log_chunk.h"

#include <zlib.h>

#include <cstdio>
#include <ctime>

namespace runlet::store {
namespace {

// A decoded chunk is never larger than this (a chunk holds at most a flush's worth of
// output, about 1 MiB); anything claiming more is corrupt.
constexpr uint64_t kMaxRawChunk = 64ull << 20;

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

uint64_t Zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t Unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

bool GetVarint(const std::string& in, size_t& pos, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= in.size()) return false;
    const auto byte = static_cast<unsigned char>(in[pos++]);
    v |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if (!(byte & 0x80)) return true;
  }
  return false;
}

}  // namespace

std::vector<PackedChunk> PackLogChunks(const std::vector<LogEntry>& entries, ChunkEncoding encoding) {
  constexpr size_t kChunkEntries = 2048;
  constexpr size_t kChunkBytes = 256 * 1024;
  std::vector<PackedChunk> chunks;
  size_t begin = 0;
  while (begin < entries.size()) {
    size_t end = begin + 1, bytes = entries[begin].text.size();
    while (end < entries.size() && end - begin < kChunkEntries && bytes < kChunkBytes &&
           entries[end].seq == entries[end - 1].seq + 1) {
      bytes += entries[end].text.size();
      ++end;
    }
    chunks.push_back({entries[begin].seq, entries[end - 1].seq, EncodeLogChunk(entries, begin, end, encoding)});
    begin = end;
  }
  return chunks;
}

Status AddChunkToPage(const std::string& data, ChunkEncoding encoding, int64_t first_seq, int64_t after, int limit,
                      size_t max_bytes, std::vector<LogEntry>& page, size_t& bytes) {
  if (static_cast<int>(page.size()) >= limit || bytes >= max_bytes) return {};
  auto entries = DecodeLogChunk(data, encoding, first_seq, after, static_cast<size_t>(limit) - page.size());
  if (!entries) return tl::unexpected(entries.error());
  for (auto& e : *entries) {
    if (static_cast<int>(page.size()) >= limit || bytes >= max_bytes) break;
    bytes += e.text.size();
    page.push_back(std::move(e));
  }
  return {};
}

std::optional<int64_t> ParseRfc3339Ms(const std::string& text) {
  int year, month, day, hour, minute, second, ms;
  char tail = 0;
  if (text.size() != 24 ||
      std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &year, &month, &day, &hour, &minute, &second, &ms,
                  &tail) != 8 ||
      tail != 'Z')
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(::timegm(&tm)) * 1000 + ms;
}

std::string FormatRfc3339Ms(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  const int millis = static_cast<int>(ms - static_cast<int64_t>(t) * 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

std::string EncodeLogChunk(const std::vector<LogEntry>& entries, size_t begin, size_t end, ChunkEncoding encoding) {
  std::string raw;
  int64_t previous = 0;
  const std::string* previous_text = nullptr;  // entries of one millisecond share a time
  for (size_t i = begin; i < end; ++i) {
    const auto& e = entries[i];
    const int64_t when =
        previous_text && *previous_text == e.time ? previous : ParseRfc3339Ms(e.time).value_or(previous);
    previous_text = &e.time;
    if (i == begin) {
      PutVarint(raw, Zigzag(when));
    }
    PutVarint(raw, (static_cast<uint64_t>(e.text.size()) << 1) | (e.stream == Stream::kStderr ? 1 : 0));
    PutVarint(raw, Zigzag(i == begin ? 0 : when - previous));
    raw += e.text;
    previous = when;
  }
  if (encoding == ChunkEncoding::kRaw) return raw;
  // Deflated: the raw size as a varint, then zlib's stream.
  std::string out;
  PutVarint(out, raw.size());
  const size_t header = out.size();
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  out.resize(header + size);
  // Level 1: most of the gain on log text (repeated line shapes) at the least CPU.
  if (compress2(reinterpret_cast<Bytef*>(out.data() + header), &size, reinterpret_cast<const Bytef*>(raw.data()),
                static_cast<uLong>(raw.size()), 1) != Z_OK)
    return {};
  out.resize(header + size);
  return out;
}

Result<std::vector<LogEntry>> DecodeLogChunk(const std::string& data, ChunkEncoding encoding, int64_t first_seq,
                                             int64_t after, size_t limit) {
  std::string inflated;
  const std::string* raw = &data;
  if (encoding == ChunkEncoding::kDeflate) {
    size_t pos = 0;
    uint64_t size = 0;
    if (!GetVarint(data, pos, size) || size > kMaxRawChunk) return Fail("corrupt log chunk (size)");
    inflated.resize(size);
    uLongf got = static_cast<uLongf>(size);
    if (uncompress(reinterpret_cast<Bytef*>(inflated.data()), &got, reinterpret_cast<const Bytef*>(data.data() + pos),
                   static_cast<uLong>(data.size() - pos)) != Z_OK ||
        got != size)
      return Fail("corrupt log chunk (deflate)");
    raw = &inflated;
  } else if (encoding != ChunkEncoding::kRaw) {
    return Fail("log chunk of unknown encoding " + std::to_string(static_cast<int>(encoding)));
  }
  std::vector<LogEntry> out;
  size_t pos = 0;
  uint64_t v = 0;
  if (raw->empty()) return out;
  if (!GetVarint(*raw, pos, v)) return Fail("corrupt log chunk (time)");
  int64_t when = Unzigzag(v);
  int64_t seq = first_seq;
  int64_t formatted_ms = 0;
  std::string formatted;  // entries of one millisecond share their time's text
  while (pos < raw->size() && out.size() < limit) {
    uint64_t head = 0, delta = 0;
    if (!GetVarint(*raw, pos, head) || !GetVarint(*raw, pos, delta)) return Fail("corrupt log chunk (entry)");
    const uint64_t length = head >> 1;
    if (length > raw->size() - pos) return Fail("corrupt log chunk (text)");
    when += Unzigzag(delta);
    if (seq > after) {
      if (formatted.empty() || when != formatted_ms) {
        formatted = FormatRfc3339Ms(when);
        formatted_ms = when;
      }
      out.push_back({seq, (head & 1) ? Stream::kStderr : Stream::kStdout, raw->substr(pos, length), formatted});
    }
    ++seq;
    pos += length;
  }
  return out;
}

}  // namespace runlet::store
