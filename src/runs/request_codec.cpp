#include "runs/request_codec.h"

#include <cstring>

namespace runlet::runs {
namespace {

constexpr char kFormat = 1;

class Writer {
 public:
  void U64(uint64_t v) {
    for (int i = 0; i < 8; ++i) out_ += static_cast<char>((v >> (8 * i)) & 0xff);
  }
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  void F64(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    U64(bits);
  }
  void Str(const std::string& s) {
    U64(s.size());
    out_ += s;
  }
  void Strs(const std::vector<std::string>& v) {
    U64(v.size());
    for (const auto& s : v) Str(s);
  }
  void Lim(const Limits& l) {
    I64(l.cpu_time.count());
    I64(l.wall_time.count());
    U64(l.memory_bytes);
    U64(l.pids);
    U64(l.output_bytes);
    U64(l.disk_bytes);
    U64(l.disk_inodes);
    F64(l.cpus);
    U64(l.open_files);
    U64(l.file_size_bytes);
    U64(l.stack_bytes);
    U64(l.network ? 1 : 0);
  }
  void Cmd(const runtime::JobCommand& c) {
    Strs(c.argv);
    Strs(c.env);
    Lim(c.limits);
  }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(const std::string& in) : in_(in) {}
  bool ok() const { return ok_; }
  bool AtEnd() const { return pos_ == in_.size(); }
  uint64_t U64() {
    if (in_.size() - pos_ < 8) {
      ok_ = false;
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(in_[pos_ + i])) << (8 * i);
    pos_ += 8;
    return v;
  }
  int64_t I64() { return static_cast<int64_t>(U64()); }
  double F64() {
    const uint64_t bits = U64();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }
  std::string Str() {
    const uint64_t n = U64();
    if (!ok_ || n > in_.size() - pos_) {
      ok_ = false;
      return {};
    }
    std::string s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::vector<std::string> Strs() {
    std::vector<std::string> v;
    const uint64_t n = U64();
    for (uint64_t i = 0; ok_ && i < n; ++i) v.push_back(Str());
    return v;
  }
  Limits Lim() {
    Limits l;
    l.cpu_time = std::chrono::milliseconds(I64());
    l.wall_time = std::chrono::milliseconds(I64());
    l.memory_bytes = U64();
    l.pids = static_cast<uint32_t>(U64());
    l.output_bytes = U64();
    l.disk_bytes = U64();
    l.disk_inodes = U64();
    l.cpus = F64();
    l.open_files = static_cast<uint32_t>(U64());
    l.file_size_bytes = U64();
    l.stack_bytes = U64();
    l.network = U64() != 0;
    return l;
  }
  runtime::JobCommand Cmd() {
    runtime::JobCommand c;
    c.argv = Strs();
    c.env = Strs();
    c.limits = Lim();
    return c;
  }

 private:
  const std::string& in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

std::string EncodeRequest(const RunRequest& r) {
  Writer w;
  w.out() += kFormat;
  w.I64(r.user_id);
  w.Str(r.project_id);
  w.Str(r.version_id);
  w.Str(r.runtime_id);
  const runtime::Job& j = r.job;
  w.Str(j.image);
  w.Str(j.platform);
  w.U64(j.files.size());
  for (const auto& f : j.files) {
    w.Str(f.path);
    w.Str(f.content);
    w.U64(f.executable ? 1 : 0);
  }
  w.U64(j.build ? 1 : 0);
  if (j.build) w.Cmd(*j.build);
  w.Cmd(j.run);
  w.Str(j.stdin_data);
  w.Strs(j.memory_errors);
  w.U64(r.interactive ? 1 : 0);
  w.I64(r.idle_limit.count());
  w.I64(r.quota.concurrent_runs);
  w.U64(r.quota.memory_bytes);
  w.F64(r.quota.cpus);
  return std::move(w.out());
}

Result<RunRequest> DecodeRequest(const std::string& bytes) {
  if (bytes.empty() || bytes[0] != kFormat) return Fail(ErrorKind::kInvalid, "a queued run's request is of an unknown format");
  const std::string body = bytes.substr(1);
  Reader rd(body);
  RunRequest r;
  r.user_id = rd.I64();
  r.project_id = rd.Str();
  r.version_id = rd.Str();
  r.runtime_id = rd.Str();
  runtime::Job& j = r.job;
  j.image = rd.Str();
  j.platform = rd.Str();
  const uint64_t files = rd.U64();
  for (uint64_t i = 0; rd.ok() && i < files; ++i) {
    InputFile f;
    f.path = rd.Str();
    f.content = rd.Str();
    f.executable = rd.U64() != 0;
    j.files.push_back(std::move(f));
  }
  if (rd.U64() != 0) j.build = rd.Cmd();
  j.run = rd.Cmd();
  j.stdin_data = rd.Str();
  j.memory_errors = rd.Strs();
  r.interactive = rd.U64() != 0;
  r.idle_limit = std::chrono::milliseconds(rd.I64());
  r.quota.concurrent_runs = static_cast<int>(rd.I64());
  r.quota.memory_bytes = rd.U64();
  r.quota.cpus = rd.F64();
  if (!rd.ok() || !rd.AtEnd()) return Fail(ErrorKind::kInvalid, "a queued run's request is cut or malformed");
  return r;
}

}  // namespace runlet::runs
