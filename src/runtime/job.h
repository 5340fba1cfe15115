// A job: a runtime applied to a set of files, ready for a platform to execute.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/files.h"
#include "core/limits.h"
#include "core/run_result.h"
#include "runtime/runtime.h"

namespace runlet::runtime {

struct JobCommand {
  std::vector<std::string> argv;
  std::vector<std::string> env;  // KEY=VALUE
  Limits limits;
};

struct Job {
  std::string image;
  std::string platform;  // the runtime's platform override; "": the server's default
  std::vector<InputFile> files;
  std::optional<JobCommand> build;
  JobCommand run;
  std::string stdin_data;
  std::vector<std::string> memory_errors;
};

struct JobRequest {
  std::vector<InputFile> files;
  std::string main_file;            // "" = the runtime's main_file
  std::vector<std::string> args;    // appended to the run command
  std::vector<std::string> env;     // KEY=VALUE, over the runtime's
  std::optional<Limits> run_limits; // over the runtime's run limits
  std::optional<Limits> build_limits;  // over the runtime's build limits
  std::string stdin_data;
};

// Checks the request (paths, main file present) and fills in the runtime's commands.
Result<Job> MakeJob(const Runtime& runtime, const JobRequest& request);

// A runtime_error whose stderr names the runtime's own out-of-memory error (a JVM or
// Node heap limit) becomes memory_limit.
void ClassifyMemoryErrors(const Job& job, RunResult& result);

}  // namespace runlet::runtime
