#include "cli/limit_flags.h"

#include <charconv>

#include "core/units.h"

namespace runlet::cli {

void AddLimitFlags(CLI::App& app, LimitFlags& f) {
  app.add_option("--time", f.time, "CPU time limit of the whole process tree (e.g. 2s)")->group("Limits");
  app.add_option("--wall", f.wall, "wall-clock time limit (e.g. 5s)")->group("Limits");
  app.add_option("--memory", f.memory, "memory limit, swap included (e.g. 256M)")->group("Limits");
  app.add_option("--pids", f.pids, "processes and threads at once")->group("Limits");
  app.add_option("--output", f.output, "output limit per stream (e.g. 1M)")->group("Limits");
  app.add_option("--disk", f.disk, "writable space in /work and /tmp (e.g. 64M)")->group("Limits");
  app.add_option("--cpus", f.cpus, "CPU bandwidth in cores (e.g. 1, 0.5)")->group("Limits");
  app.add_option("--open-files", f.files, "open file descriptors per process")->group("Limits");
  app.add_option("--network", f.network, "network access: none (the only choice)")->group("Limits");
}

namespace {

Result<uint64_t> ParseCount(const std::string& flag, const std::string& text) {
  uint64_t value = 0;
  auto res = std::from_chars(text.data(), text.data() + text.size(), value);
  if (res.ec != std::errc() || res.ptr != text.data() + text.size())
    return Fail(flag + ": \"" + text + "\" is not a whole number");
  return value;
}

}  // namespace

Result<Limits> ToLimits(const LimitFlags& f, Limits l) {
  auto wrap = [](const char* flag, const Error& e) { return tl::unexpected(e.Wrap(flag)); };
  if (!f.time.empty()) {
    auto d = ParseDuration(f.time);
    if (!d) return wrap("--time", d.error());
    l.cpu_time = *d;
  }
  if (!f.wall.empty()) {
    auto d = ParseDuration(f.wall);
    if (!d) return wrap("--wall", d.error());
    l.wall_time = *d;
  } else if (!f.time.empty() && l.wall_time < l.cpu_time * 2) {
    l.wall_time = l.cpu_time * 2 + std::chrono::seconds(1);  // room for a CPU limit to be the one hit
  }
  if (!f.memory.empty()) {
    auto s = ParseSize(f.memory);
    if (!s) return wrap("--memory", s.error());
    l.memory_bytes = *s;
  }
  if (!f.output.empty()) {
    auto s = ParseSize(f.output);
    if (!s) return wrap("--output", s.error());
    l.output_bytes = *s;
  }
  if (!f.disk.empty()) {
    auto s = ParseSize(f.disk);
    if (!s) return wrap("--disk", s.error());
    l.disk_bytes = *s;
  }
  if (!f.pids.empty()) {
    auto n = ParseCount("--pids", f.pids);
    if (!n) return tl::unexpected(n.error());
    if (*n > 1000000) return Fail("--pids: too large");
    l.pids = static_cast<uint32_t>(*n);
  }
  if (!f.files.empty()) {
    auto n = ParseCount("--open-files", f.files);
    if (!n) return tl::unexpected(n.error());
    if (*n > 1000000) return Fail("--open-files: too large");
    l.open_files = static_cast<uint32_t>(*n);
  }
  if (!f.cpus.empty()) {
    double v = 0;
    auto res = std::from_chars(f.cpus.data(), f.cpus.data() + f.cpus.size(), v);
    if (res.ec != std::errc() || res.ptr != f.cpus.data() + f.cpus.size())
      return Fail("--cpus: \"" + f.cpus + "\" is not a number");
    l.cpus = v;
  }
  if (!f.network.empty() && f.network != "none") {
    return Fail("--network: only \"none\" is supported: sandboxed code never reaches a network");
  }
  if (auto s = ValidateLimits(l); !s) return tl::unexpected(s.error());
  return l;
}

}  // namespace runlet::cli
