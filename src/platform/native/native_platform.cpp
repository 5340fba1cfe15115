#include "platform/native/native_platform.h"

namespace runlet::platform {

Result<JobResult> NativePlatform::Run(const runtime::Job& job, const JobCallbacks& callbacks, int cancel_fd) {
  auto image = images_.Resolve(job.image);
  if (!image) return tl::unexpected(image.error());

  sandbox::RunSpec spec;
  spec.rootfs = image->rootfs;
  spec.files = job.files;
  spec.argv = job.run.argv;
  spec.env = job.run.env;
  spec.limits = job.run.limits;
  spec.stdin_data = job.stdin_data;
  spec.cancel_fd = cancel_fd;
  spec.stdin_fd = callbacks.stdin_fd;
  spec.keep_output_bytes = callbacks.keep_output_bytes;
  if (job.build) spec.steps_before.push_back({job.build->argv, job.build->env, job.build->limits});
  const bool has_build = job.build.has_value();
  spec.on_step = [&](size_t index) {
    if (callbacks.on_status) {
      callbacks.on_status(has_build && index == 0 ? RunStatus::kBuilding : RunStatus::kRunning);
    }
  };
  std::vector<RunResult> before;
  auto result = sandbox_.Run(spec, callbacks.on_output, &before);
  if (!result) return tl::unexpected(result.error());
  JobResult out;
  out.run = std::move(*result);
  if (has_build) {
    if (!before.empty()) out.build = std::move(before.front());
    if (out.build) runtime::ClassifyMemoryErrors(job, *out.build);
    if (out.run.status == RunStatus::kCancelled) {
      out.run.message = "cancelled during the build";
    } else if (out.run.status == RunStatus::kCompileError && out.build && !out.build->message.empty()) {
      out.run.message = "the build failed: " + out.build->message;
    }
  }
  runtime::ClassifyMemoryErrors(job, out.run);
  return out;
}

Health NativePlatform::Check() {
  const auto& f = sandbox_.features();
  return {true, "native sandbox, cgroup " + std::string(sandbox::CgroupModeName(f.cgroup))};
}

}  // namespace runlet::platform
