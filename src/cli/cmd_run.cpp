// `runlet run`: files or a folder, built and run with a runtime.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/limit_flags.h"
#include "core/json.h"
#include "core/result_json.h"
#include "runtime/job.h"

namespace runlet::cli {
namespace {

constexpr uint64_t kMaxProjectBytes = 64ull << 20;
constexpr size_t kMaxProjectFiles = 10000;

struct RunFlags {
  Paths paths;
  LimitFlags limits;
  std::string runtime;
  std::string platform;  // "": the runtime's own, else native
  std::string stdin_file;
  bool json = false;
  std::vector<std::string> inputs;
};

Status ReadFileInto(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail("cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  out = buffer.str();
  return {};
}

Status CollectDir(const std::string& dir, const std::string& prefix, std::vector<InputFile>& files,
                  uint64_t& total, int depth) {
  if (depth > 32) return Fail(dir + ": folders nested too deep");
  DIR* d = ::opendir(dir.c_str());
  if (!d) return FailErrno("open " + dir);
  std::vector<std::string> names;
  while (auto* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    const std::string path = dir + "/" + name;
    const std::string rel = prefix.empty() ? name : prefix + "/" + name;
    struct stat st {};
    if (::lstat(path.c_str(), &st) < 0) return FailErrno("stat " + path);
    if (S_ISDIR(st.st_mode)) {
      if (auto s = CollectDir(path, rel, files, total, depth + 1); !s) return s;
    } else if (S_ISREG(st.st_mode)) {
      InputFile f{rel, {}, (st.st_mode & 0111) != 0};
      if (auto s = ReadFileInto(path, f.content); !s) return s;
      total += f.content.size();
      files.push_back(std::move(f));
    }
    if (files.size() > kMaxProjectFiles) return Fail("more than " + std::to_string(kMaxProjectFiles) + " files");
    if (total > kMaxProjectBytes) return Fail("the files are larger than 64M in all");
  }
  return {};
}

int RunProject(const RunFlags& f, const std::vector<std::string>& program_args) {
  auto fail = [](const std::string& message, int code) {
    std::cerr << "runlet run: " << message << "\n";
    return code;
  };
  const Paths paths = ResolvePaths(f.paths);
  auto catalog = runtime::Catalog::LoadDir(paths.runtimes_dir);
  if (!catalog) return fail(catalog.error().message, 1);

  // Files: a folder's contents keep their relative paths; a file keeps its name.
  runtime::JobRequest request;
  std::string main_file;
  uint64_t total = 0;
  for (const auto& input : f.inputs) {
    struct stat st {};
    if (::stat(input.c_str(), &st) < 0) return fail(input + ": " + std::strerror(errno), 2);
    if (S_ISDIR(st.st_mode)) {
      if (auto s = CollectDir(input, "", request.files, total, 0); !s) return fail(s.error().message, 2);
    } else {
      std::string name = input.substr(input.rfind('/') + 1);
      InputFile file{name, {}, (st.st_mode & 0111) != 0};
      if (auto s = ReadFileInto(input, file.content); !s) return fail(s.error().message, 2);
      if (main_file.empty()) main_file = name;
      request.files.push_back(std::move(file));
    }
  }
  if (request.files.empty()) return fail("no files to run", 2);

  const runtime::Runtime* rt = nullptr;
  if (!f.runtime.empty()) {
    rt = catalog->Find(f.runtime);
    if (!rt) return fail("unknown runtime \"" + f.runtime + "\" (see runlet runtimes)", 2);
  } else if (!main_file.empty()) {
    rt = catalog->ForFile(main_file);
    if (!rt) return fail("no runtime runs " + main_file + "; pick one with --runtime (see runlet runtimes)", 2);
  } else {
    // The first runtime whose main file is there, in its language's newest version.
    for (const auto& candidate : catalog->runtimes()) {
      if (!candidate.enabled) continue;
      if (rt && (candidate.language != rt->language ||
                 runtime::CompareVersions(candidate.version, rt->version) <= 0)) {
        continue;
      }
      for (const auto& file : request.files) {
        if (file.path == candidate.main_file) rt = &candidate;
      }
    }
    if (!rt) return fail("no main file found (main.py, main.go, Main.java, ...); pick a runtime with --runtime", 2);
  }
  if (main_file.empty()) main_file = rt->main_file;
  request.main_file = main_file;
  request.args = program_args;
  auto limits = ToLimits(f.limits, rt->run_limits);
  if (!limits) return fail(limits.error().message, 2);
  request.run_limits = *limits;
  if (!f.stdin_file.empty()) {
    if (f.stdin_file == "-") {
      std::stringstream in;
      in << std::cin.rdbuf();
      request.stdin_data = in.str();
    } else if (auto s = ReadFileInto(f.stdin_file, request.stdin_data); !s) {
      return fail("--stdin: " + s.error().message, 2);
    }
  }
  auto job = runtime::MakeJob(*rt, request);
  if (!job) return fail(job.error().message, 2);

  auto stack = MakePlatformStack(paths, !f.platform.empty() ? f.platform : !job->platform.empty() ? job->platform : "native");
  if (!stack) return fail(stack.error().message, stack.error().kind == ErrorKind::kInvalid ? 2 : 125);
  platform::JobCallbacks callbacks;
  if (!f.json) {
    callbacks.on_output = [](Stream stream, std::string_view data) {
      const int fd = stream == Stream::kStdout ? 1 : 2;
      while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n <= 0) return;
        data.remove_prefix(static_cast<size_t>(n));
      }
    };
  }
  auto result = stack->platform->Run(*job, callbacks, /*cancel_fd=*/-1);
  if (!result) return fail(result.error().message, 2);
  if (f.json) {
    std::cout << JsonText(ResultToJson(result->run, result->build ? &*result->build : nullptr))
              << std::endl;
    return 0;
  }
  const RunResult& r = result->run;
  if (r.status == RunStatus::kCompileError) {
    std::cerr << "runlet: compile_error: " << r.message << "\n";
    return 1;
  }
  if (r.status != RunStatus::kOk && r.status != RunStatus::kRuntimeError) {
    std::cerr << "runlet: " << StatusName(r.status) << ": " << r.message << "\n";
  }
  if (r.status == RunStatus::kInternalError) return 125;
  return ShellExitCode(r);
}

}  // namespace

std::vector<std::string>& RunPassthroughArgs() {
  static std::vector<std::string> args;
  return args;
}

void AddRunCommand(CLI::App& app) {
  auto flags = std::make_shared<RunFlags>();
  auto* cmd = app.add_subcommand("run", "Build and run files or a folder with a runtime");
  AddPathFlags(*cmd, flags->paths);
  AddLimitFlags(*cmd, flags->limits);
  cmd->add_option("--runtime", flags->runtime, "runtime id (default: from the main file's extension)");
  cmd->add_option("--platform", flags->platform, "where to run: native, docker, podman, gvisor, swarm, kubernetes (default: the runtime's platform, else native)");
  cmd->add_option("--stdin", flags->stdin_file, "file to pass as standard input (- for runlet's own)");
  cmd->add_flag("--json", flags->json, "print one result object instead of passing output through");
  cmd->add_option("paths", flags->inputs, "files or a folder; the first file is the main file")->required();
  cmd->callback([flags] { throw ExitWith{RunProject(*flags, RunPassthroughArgs())}; });
}

}  // namespace runlet::cli
