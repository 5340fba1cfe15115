// `runlet exec`: one command in a fresh sandbox.
#include <fcntl.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <iostream>

#include "cli/commands.h"
#include "cli/limit_flags.h"
#include "core/environment.h"
#include "core/json.h"
#include "core/result_json.h"
#include "core/unique_fd.h"
#include "sandbox/sandbox.h"

namespace runlet::cli {
namespace {

struct ExecFlags {
  LimitFlags limits;
  std::string rootfs = "/";
  std::vector<std::string> host_paths;
  std::string files;
  std::vector<std::string> env;
  std::string stdin_file;
  bool json = false;
  std::vector<std::string> command;
};

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

int RunExec(const ExecFlags& f) {
  auto limits = ToLimits(f.limits);
  if (!limits) {
    std::cerr << "runlet exec: " << limits.error().message << "\n";
    return 2;
  }
  for (const auto& entry : f.env) {
    if (auto why = CheckEnvEntry(entry); !why.empty()) {
      std::cerr << "runlet exec: --env " << entry << ": " << why << "\n";
      return 2;
    }
  }
  sandbox::RunSpec spec;
  spec.argv = f.command;
  spec.env = f.env;
  spec.rootfs = f.rootfs;
  spec.files_dir = f.files;
  spec.limits = *limits;
  UniqueFd stdin_file;
  if (f.stdin_file == "-") {
    spec.stdin_fd = 0;
  } else if (!f.stdin_file.empty()) {
    stdin_file.Reset(::open(f.stdin_file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!stdin_file) {
      std::cerr << "runlet exec: --stdin " << f.stdin_file << ": " << std::strerror(errno) << "\n";
      return 2;
    }
    spec.stdin_fd = stdin_file.get();
  }

  sandbox::SandboxOptions options;
  options.recover_in_first_run = true;  // one run: recovery overlaps its start
  options.host_paths = f.host_paths;
  options.zygote = false;               // one run from a small process: cloned directly
  auto box = sandbox::Sandbox::Create(options);
  if (!box) {
    std::cerr << "runlet exec: " << box.error().message << "\n";
    return 125;
  }
  sandbox::OutputFn pass_through;
  if (!f.json) {
    pass_through = [](sandbox::Stream stream, std::string_view data) {
      WriteAll(stream == sandbox::Stream::kStdout ? 1 : 2, data);
    };
  }
  auto result = (*box)->Run(spec, pass_through);
  if (!result) {
    std::cerr << "runlet exec: " << result.error().message << "\n";
    return 2;
  }
  if (f.json) {
    std::cout << JsonText(ResultToJson(*result)) << std::endl;
    return 0;
  }
  if (result->status != RunStatus::kOk && result->status != RunStatus::kRuntimeError) {
    std::cerr << "runlet: " << StatusName(result->status) << ": " << result->message << "\n";
  } else if (result->status == RunStatus::kRuntimeError && result->exit_code &&
             (*result->exit_code == 126 || *result->exit_code == 127) && !result->message.empty() &&
             result->message.rfind("cannot execute", 0) == 0) {
    std::cerr << "runlet: " << result->message << "\n";
  }
  if (result->status == RunStatus::kInternalError) return 125;
  return ShellExitCode(*result);
}

}  // namespace

void AddExecCommand(CLI::App& app) {
  auto flags = std::make_shared<ExecFlags>();
  auto* cmd = app.add_subcommand("exec", "Run one command in a fresh sandbox");
  AddLimitFlags(*cmd, flags->limits);
  cmd->add_option("--rootfs", flags->rootfs, "root file system (default: the host's toolchains, read-only)");
  cmd->add_option("--host-path", flags->host_paths,
                  "a host path below /etc or /usr/local that the host's toolchains' view also shows (repeatable)");
  cmd->add_option("--files", flags->files, "copy this folder's contents into the work directory");
  cmd->add_option("--env", flags->env, "environment variable KEY=VALUE (repeatable)");
  cmd->add_option("--stdin", flags->stdin_file, "file to pass as standard input (- for runlet's own)");
  cmd->add_flag("--json", flags->json, "print one result object instead of passing output through");
  cmd->add_option("command", flags->command, "command and arguments (after --)")->required();
  cmd->callback([flags] { throw ExitWith(RunExec(*flags)); });
}

}  // namespace runlet::cli
