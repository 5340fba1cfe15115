// Where code runs. One small interface, implemented by the native sandbox and by each
// container engine; nothing outside platform/ knows which one runs a job.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/run_result.h"
#include "runtime/job.h"

namespace runlet::platform {

struct JobResult {
  RunResult run;                  // the program's result; compile_error if the build failed
  std::optional<RunResult> build; // the build step's, when the job has one
};

struct JobCallbacks {
  // A job's phase changes: kBuilding, then kRunning (called on the Run caller's thread).
  std::function<void(RunStatus)> on_status;
  // Output as it comes, build output included, never past a limit.
  std::function<void(Stream, std::string_view)> on_output;
  // If >= 0: read after job.stdin_data and passed to the program's stdin until EOF
  // (interactive runs). The platform does not close it.
  int stdin_fd = -1;
  // How much of each stream the results keep (stdout_clipped/stderr_clipped say when
  // more came); on_output still gets everything up to the output limit.
  uint64_t keep_output_bytes = UINT64_MAX;
};

struct Health {
  bool ok = false;
  std::string detail;  // what is wrong, or what runs it ("native sandbox, cgroup v1")
};

class Platform {
 public:
  virtual ~Platform() = default;
  virtual std::string_view Name() const = 0;
  // Runs `job` to completion; blocks the calling thread. Errors are refusals before
  // anything ran (unknown image, invalid job); failures later are results with
  // internal_error. `cancel_fd`, if >= 0, cancels the job when it becomes readable.
  virtual Result<JobResult> Run(const runtime::Job& job, const JobCallbacks& callbacks, int cancel_fd = -1) = 0;
  virtual Health Check() = 0;
};

}  // namespace runlet::platform
