#include "runtime/job.h"

#include <algorithm>

namespace runlet::runtime {
namespace {

std::string Substitute(std::string text, const std::map<std::string, std::string>& values) {
  for (const auto& [key, value] : values) {
    const std::string placeholder = "{" + key + "}";
    for (size_t at = text.find(placeholder); at != std::string::npos;
         at = text.find(placeholder, at + value.size())) {
      text.replace(at, placeholder.size(), value);
    }
  }
  return text;
}

std::vector<std::string> Expand(const CommandTemplate& cmd, const std::map<std::string, std::string>& values) {
  if (!cmd.shell.empty()) return {"/bin/sh", "-c", Substitute(cmd.shell, values), "runlet"};
  std::vector<std::string> argv;
  for (const auto& arg : cmd.argv) argv.push_back(Substitute(arg, values));
  return argv;
}

std::vector<std::string> Env(const Runtime& runtime, const std::map<std::string, std::string>& values,
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
  // Build and run share one file system: its size is the larger of the two.
  job.run.limits.disk_bytes = std::max(job.run.limits.disk_bytes, runtime.build_limits.disk_bytes);
  job.run.limits.disk_inodes = std::max(job.run.limits.disk_inodes, runtime.build_limits.disk_inodes);

  auto values_for = [&](const Limits& limits) {
    return std::map<std::string, std::string>{
        {"main", main}, {"main_stem", stem},
        {"heap_mb", std::to_string(std::max<uint64_t>(8, limits.memory_bytes * 3 / 4 >> 20))}};
  };
  if (!runtime.build.empty()) {
    JobCommand build;
    build.limits = runtime.build_limits;
    build.limits.disk_bytes = job.run.limits.disk_bytes;
    build.limits.disk_inodes = job.run.limits.disk_inodes;
    build.argv = Expand(runtime.build, values_for(build.limits));
    build.env = Env(runtime, values_for(build.limits), request.env);
    job.build = std::move(build);
  }
  const auto values = values_for(job.run.limits);
  job.run.argv = Expand(runtime.run, values);
  if (!runtime.run.shell.empty()) {
    // sh -c 'line "$@"' runlet ARGS...: the user's arguments reach the program intact.
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
