#include "runtime/job.h"

#include <algorithm>

namespace runlet::runtime {
namespace {

// The placeholders' values for one step.
using Values = std::vector<std::pair<std::string, std::string>>;

std::string Substitute(std::string text, const Values& values) {
  for (const auto& [key, value] : values) {
    const std::string placeholder = "{" + key + "}";
    for (size_t at = text.find(placeholder); at != std::string::npos; at = text.find(placeholder, at + value.size())) {
      text.replace(at, placeholder.size(), value);
    }
  }
  return text;
}

// A shell line with each placeholder replaced by a reference to a variable that the
// line's own positional parameters set: the value never reaches the shell's parser, so
// no file name (";", "$(...)", quotes) can add a command. The reference is one word in
// any quoting context: "${runlet_main}" outside quotes, ${runlet_main} inside double
// quotes, '"${runlet_main}"' (closing and reopening them) inside single quotes.
std::string SubstituteShell(const std::string& text, const Values& values) {
  std::string out;
  enum { kNone, kSingle, kDouble } quote = kNone;
  for (size_t i = 0; i < text.size();) {
    bool replaced = false;
    for (const auto& [key, value] : values) {
      const std::string placeholder = "{" + key + "}";
      if (text.compare(i, placeholder.size(), placeholder) != 0) continue;
      const std::string ref = "${runlet_" + key + "}";
      out += quote == kDouble ? ref : quote == kSingle ? "'\"" + ref + "\"'" : "\"" + ref + "\"";
      i += placeholder.size();
      replaced = true;
      break;
    }
    if (replaced) continue;
    const char c = text[i];
    out += c;
    ++i;
    if (c == '\\' && quote != kSingle && i < text.size()) {
      out += text[i++];  // an escaped character is never a quote
    } else if (c == '\'' && quote != kDouble) {
      quote = quote == kSingle ? kNone : kSingle;
    } else if (c == '"' && quote != kSingle) {
      quote = quote == kDouble ? kNone : kDouble;
    }
  }
  return out;
}

// argv as is, or /bin/sh -c 'runlet_main="$1" ... && shift N <newline> LINE' runlet VALUES...
std::vector<std::string> Expand(const CommandTemplate& cmd, const Values& values) {
  if (!cmd.shell.empty()) {
    std::string prologue;
    for (size_t i = 0; i < values.size(); ++i) {
      prologue += (i ? " " : "") + std::string("runlet_") + values[i].first + "=\"$" + std::to_string(i + 1) + "\"";
    }
    prologue += " && shift " + std::to_string(values.size()) + "\n";
    std::vector<std::string> argv = {"/bin/sh", "-c", prologue + SubstituteShell(cmd.shell, values), "runlet"};
    for (const auto& [key, value] : values) argv.push_back(value);
    return argv;
  }
  std::vector<std::string> argv;
  for (const auto& arg : cmd.argv) argv.push_back(Substitute(arg, values));
  return argv;
}

std::vector<std::string> Env(const Runtime& runtime, const Values& values,
                             const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (const auto& [k, v] : runtime.env) env.push_back(k + "=" + Substitute(v, values));
  for (const auto& kv : extra) env.push_back(kv);
  return env;
}

}  // namespace

Result<Job> MakeJob(const Runtime& runtime, const JobRequest& request) {
  if (!runtime.enabled) return Fail("runtime " + runtime.id + " is disabled");
  if (request.files.empty()) return Fail("no files given");
  for (const auto& file : request.files) {
    if (auto why = CheckRelativePath(file.path); !why.empty()) return Fail("file \"" + file.path + "\": " + why);
  }
  const std::string main = request.main_file.empty() ? runtime.main_file : request.main_file;
  if (auto why = CheckRelativePath(main); !why.empty()) return Fail("main file \"" + main + "\": " + why);
  if (std::none_of(request.files.begin(), request.files.end(), [&](const InputFile& f) { return f.path == main; })) {
    return Fail("the main file " + main + " is missing (runtime " + runtime.id + " runs " + runtime.main_file + ")");
  }
  std::string base = main.substr(main.rfind('/') + 1);
  std::string stem = base.substr(0, base.rfind('.') == std::string::npos || base.rfind('.') == 0 ? base.size() : base.rfind('.'));

  Job job;
  job.image = runtime.image;
  job.platform = runtime.platform;
  job.files = request.files;
  job.stdin_data = request.stdin_data;
  job.memory_errors = runtime.memory_errors;
  job.run.limits = request.run_limits.value_or(runtime.run_limits);
  const Limits build_limits = request.build_limits.value_or(runtime.build_limits);
  if (!runtime.build.empty()) {
    // Build and run share one file system: its size is the larger of the two steps'
    // (each already within what the user may have).
    job.run.limits.disk_bytes = std::max(job.run.limits.disk_bytes, build_limits.disk_bytes);
    job.run.limits.disk_inodes = std::max(job.run.limits.disk_inodes, build_limits.disk_inodes);
  }

  // A main file named like an option ("-c...") is passed as a path ("./-c...").
  const std::string main_arg = main.front() == '-' ? "./" + main : main;
  auto values_for = [&](const Limits& limits) {
    return Values{{"main", main_arg},
                  {"main_stem", stem},
                  {"heap_mb", std::to_string(std::max<uint64_t>(8, limits.memory_bytes * 3 / 4 >> 20))}};
  };
  if (!runtime.build.empty()) {
    JobCommand build;
    build.limits = build_limits;
    build.limits.disk_bytes = job.run.limits.disk_bytes;
    build.limits.disk_inodes = job.run.limits.disk_inodes;
    build.argv = Expand(runtime.build, values_for(build.limits));
    build.env = Env(runtime, values_for(build.limits), request.env);
    job.build = std::move(build);
  }
  const auto values = values_for(job.run.limits);
  job.run.argv = Expand(runtime.run, values);
  if (!runtime.run.shell.empty()) {
    // sh -c 'line "$@"' runlet VALUES... ARGS...: after the line's shift, the user's
    // arguments reach the program intact.
    job.run.argv[2] += " \"$@\"";
  }
  for (const auto& arg : request.args) job.run.argv.push_back(arg);
  job.run.env = Env(runtime, values, request.env);
  return job;
}

void ClassifyMemoryErrors(const Job& job, RunResult& result) {
  if (result.status != RunStatus::kRuntimeError) return;
  for (const auto& marker : job.memory_errors) {
    if (!marker.empty() && result.stderr_data.find(marker) != std::string::npos) {
      result.status = RunStatus::kMemoryLimit;
      result.message = "out of memory: the program's heap reached the memory limit (" + marker + ")";
      return;
    }
  }
}

}  // namespace runlet::runtime
