#include "platform/docker/tar_writer.h"

#include <cstdio>
#include <cstring>
#include <utility>

namespace runlet::platform::docker {
namespace {

constexpr size_t kBlock = 512;

// Writes `value` as zero-padded octal filling `width - 1` digits and a NUL.
void Octal(char* field, size_t width, uint64_t value) {
  for (size_t i = width - 1; i-- > 0;) {
    field[i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
  field[width - 1] = '\0';
}

// One pax record: "<length> <key>=<value>\n", the length counting itself.
std::string PaxRecord(std::string_view key, std::string_view value) {
  const size_t body = key.size() + value.size() + 3;  // ' ', '=', '\n'
  size_t length = body + 1;
  while (std::to_string(length).size() + body != length) ++length;
  return std::to_string(length) + " " + std::string(key) + "=" + std::string(value) + "\n";
}

}  // namespace

void TarWriter::Pad() { out_.append((kBlock - out_.size() % kBlock) % kBlock, '\0'); }

void TarWriter::Header(std::string_view path, char type, unsigned mode, uint64_t size, std::string_view link) {
  if (path.size() >= 100 || link.size() >= 100) {
    std::string records;
    if (path.size() >= 100) records += PaxRecord("path", path);
    if (link.size() >= 100) records += PaxRecord("linkpath", link);
    Header("PaxHeader", 'x', 0644, records.size(), {});
    out_ += records;
    Pad();
    path = path.substr(0, 99);
    link = link.substr(0, 99);
  }
  char h[kBlock] = {};
  if (!path.empty()) std::memcpy(h, path.data(), path.size());
  Octal(h + 100, 8, mode & 07777);
  Octal(h + 108, 8, uid_);
  Octal(h + 116, 8, gid_);
  Octal(h + 124, 12, size);
  Octal(h + 136, 12, static_cast<uint64_t>(mtime_ < 0 ? 0 : mtime_));
  h[156] = type;
  if (!link.empty()) std::memcpy(h + 157, link.data(), link.size());
  std::memcpy(h + 257, "ustar", 6);
  std::memcpy(h + 263, "00", 2);
  std::memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(h + 148, 8, "%06o", sum);  // six digits, NUL, and the space already there
  out_.append(h, kBlock);
}

void TarWriter::AddDirectory(std::string_view path, unsigned mode) {
  std::string name(path);
  if (name.empty() || name.back() != '/') name.push_back('/');
  Header(name, '5', mode, 0, {});
}

void TarWriter::AddFile(std::string_view path, std::string_view content, unsigned mode) {
  Header(path, '0', mode, content.size(), {});
  out_.append(content);
  Pad();
}

void TarWriter::AddSymlink(std::string_view path, std::string_view target) { Header(path, '2', 0777, 0, target); }

std::string TarWriter::Finish() {
  out_.append(2 * kBlock, '\0');
  return std::exchange(out_, {});
}

}  // namespace runlet::platform::docker
