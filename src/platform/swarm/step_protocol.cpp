#include "platform/swarm/step_protocol.h"

#include <charconv>

namespace runlet::platform::swarm {
namespace {

// Fields are "<key> <length>:<bytes>\n": any byte may appear in a value.
void Field(std::string& out, std::string_view key, std::string_view value) {
  out.append(key);
  out.push_back(' ');
  out.append(std::to_string(value.size()));
  out.push_back(':');
  out.append(value);
  out.push_back('\n');
}

void Field(std::string& out, std::string_view key, uint64_t value) { Field(out, key, std::to_string(value)); }

class FieldReader {
 public:
  explicit FieldReader(std::string_view text) : text_(text) {}
  bool done() const { return text_.empty(); }
  // False on a malformed field.
  bool Next(std::string_view& key, std::string_view& value) {
    const size_t space = text_.find(' ');
    if (space == std::string_view::npos || space == 0) return false;
    key = text_.substr(0, space);
    const size_t colon = text_.find(':', space + 1);
    if (colon == std::string_view::npos) return false;
    uint64_t len = 0;
    const char* first = text_.data() + space + 1;
    const char* last = text_.data() + colon;
    auto [end, ec] = std::from_chars(first, last, len);
    if (ec != std::errc() || end != last || first == last) return false;
    if (len > text_.size() - colon - 1 || text_.size() - colon - 1 - len < 1) return false;
    value = text_.substr(colon + 1, len);
    if (text_[colon + 1 + len] != '\n') return false;
    text_.remove_prefix(colon + 2 + len);
    return true;
  }

 private:
  std::string_view text_;
};

bool Number(std::string_view text, uint64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

std::string EncodePlan(const Plan& plan) {
  std::string out;
  Field(out, "uid", plan.uid);
  Field(out, "parts", plan.file_parts);
  for (const auto& s : plan.steps) {
    Field(out, "step", s.name);
    for (const auto& a : s.argv) Field(out, "arg", a);
    for (const auto& e : s.env) Field(out, "env", e);
    Field(out, "cpu_ms", s.cpu_ms);
    Field(out, "wall_ms", s.wall_ms);
    Field(out, "memory", s.memory_bytes);
    Field(out, "output", s.output_bytes);
    Field(out, "pids", s.pids);
    Field(out, "fsize", s.file_size_bytes);
    Field(out, "nofile", s.open_files);
    Field(out, "stack", s.stack_bytes);
    Field(out, "stdin", s.reads_stdin ? 1 : 0);
  }
  return out;
}

bool DecodePlan(std::string_view text, Plan& plan, std::string& error) {
  plan = {};
  FieldReader reader(text);
  while (!reader.done()) {
    std::string_view key, value;
    if (!reader.Next(key, value)) {
      error = "malformed plan";
      return false;
    }
    uint64_t n = 0;
    const bool numeric = Number(value, n);
    if (key == "step") {
      plan.steps.push_back(StepSpec{std::string(value)});
      continue;
    }
    if (key == "uid" || key == "parts") {
      if (!numeric || n > UINT32_MAX) {
        error = "plan: bad " + std::string(key);
        return false;
      }
      (key == "uid" ? plan.uid : plan.file_parts) = static_cast<uint32_t>(n);
      continue;
    }
    if (plan.steps.empty()) {
      error = "plan: " + std::string(key) + " before any step";
      return false;
    }
    StepSpec& s = plan.steps.back();
    if (key == "arg") {
      s.argv.emplace_back(value);
    } else if (key == "env") {
      s.env.emplace_back(value);
    } else {
      uint64_t* target = key == "cpu_ms"   ? &s.cpu_ms
                         : key == "wall_ms" ? &s.wall_ms
                         : key == "memory"  ? &s.memory_bytes
                         : key == "output"  ? &s.output_bytes
                         : key == "pids"    ? &s.pids
                         : key == "fsize"   ? &s.file_size_bytes
                         : key == "nofile"  ? &s.open_files
                         : key == "stack"   ? &s.stack_bytes
                                            : nullptr;
      if (key == "stdin" && numeric) {
        s.reads_stdin = n != 0;
        continue;
      }
      if (!target || !numeric) {
        error = "plan: bad field " + std::string(key);
        return false;
      }
      *target = n;
    }
  }
  for (const auto& s : plan.steps) {
    if (s.argv.empty()) {
      error = "plan: step " + s.name + " has no command";
      return false;
    }
  }
  return true;
}

std::string EncodeFiles(const std::vector<PlanFile>& files) {
  std::string out;
  for (const auto& f : files) {
    Field(out, f.executable ? "x" : "f", f.path);
    Field(out, "c", f.content);
  }
  return out;
}

bool DecodeFiles(std::string_view data, std::vector<PlanFile>& files, std::string& error) {
  files.clear();
  FieldReader reader(data);
  while (!reader.done()) {
    std::string_view key, path, ckey, content;
    if (!reader.Next(key, path) || (key != "f" && key != "x") || !reader.Next(ckey, content) || ckey != "c") {
      error = "malformed files archive";
      return false;
    }
    files.push_back(PlanFile{std::string(path), std::string(content), key == "x"});
  }
  return true;
}

std::string Base64Encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t v = (static_cast<unsigned char>(data[i]) << 16) | (static_cast<unsigned char>(data[i + 1]) << 8) |
                       static_cast<unsigned char>(data[i + 2]);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (const size_t rest = data.size() - i; rest > 0) {
    uint32_t v = static_cast<unsigned char>(data[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(data[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

bool Base64Decode(std::string_view text, std::string& out) {
  out.clear();
  if (text.size() % 4 != 0) return false;
  out.reserve(text.size() / 4 * 3);
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const int pad = last ? (text[i + 3] == '=') + (text[i + 2] == '=') : 0;
    if (pad == 1 && text[i + 2] == '=') return false;
    int v[4];
    for (int k = 0; k < 4 - pad; ++k) {
      v[k] = value(text[i + k]);
      if (v[k] < 0) return false;
    }
    for (int k = 4 - pad; k < 4; ++k) v[k] = 0;
    const uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out.push_back(static_cast<char>((n >> 16) & 255));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 255));
    if (pad < 1) out.push_back(static_cast<char>(n & 255));
  }
  return true;
}

std::map<std::string, std::string> ParseFields(std::string_view text) {
  std::map<std::string, std::string> out;
  while (!text.empty()) {
    const size_t space = text.find(' ');
    const std::string_view item = text.substr(0, space);
    if (const size_t eq = item.find('='); eq != std::string_view::npos) {
      out[std::string(item.substr(0, eq))] = std::string(item.substr(eq + 1));
    }
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
  return out;
}

}  // namespace runlet::platform::swarm
