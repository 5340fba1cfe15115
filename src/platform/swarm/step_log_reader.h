// The platform's side of the step runner's protocol (step_protocol.h): turns the lines the
// runner writes on its log stream into output callbacks and step results. Shared by every
// platform that runs Runlet's step runner in a container (Swarm, Kubernetes).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/run_result.h"
#include "core/units.h"
#include "platform/container_step.h"
#include "platform/platform.h"
#include "platform/swarm/step_protocol.h"
#include "runtime/job.h"

namespace runlet::platform::swarm {

// What one job's run looks like from the log stream.
class StepLogReader {
 public:
  StepLogReader(const runtime::Job& job, const JobCallbacks& callbacks) : job_(job), callbacks_(callbacks) {}

  // Feeds the runner's stdout bytes; false once it said "D".
  void Feed(std::string_view data) {
    pending_.append(data);
    size_t at = 0;
    for (size_t nl; !done_ && (nl = pending_.find('\n', at)) != std::string::npos; at = nl + 1) {
      Handle(std::string_view(pending_).substr(at, nl - at));
    }
    pending_.erase(0, at);
    if (pending_.size() > (1u << 20)) Broken("the step runner wrote a line of over 1 MiB");
  }

  bool done() const { return done_; }
  bool started() const { return started_; }
  const std::string& error() const { return error_; }
  std::optional<RunResult>& build() { return build_; }
  std::optional<RunResult>& run() { return run_; }
  std::optional<RunResult>& files_failed() { return files_failed_; }

  // The job's result once the stream has ended: the runner's error, the files' failure,
  // else each step's report. A step that never reported takes `unreported()` where the
  // platform knows why (cancelled, the container killed); without one (nullopt) the job
  // failed inside the platform (internal_error).
  JobResult Result(const std::function<std::optional<RunResult>()>& unreported) {
    JobResult out;
    auto internal = [&](std::string message) {
      out.run = {};
      out.run.status = RunStatus::kInternalError;
      out.run.message = std::move(message);
      return out;
    };
    if (!error_.empty()) return internal(error_);
    if (files_failed_) {
      out.run = std::move(*files_failed_);
      return out;
    }
    if (job_.build) {
      if (!build_) build_ = unreported();
      if (!build_) return internal("the step runner did not report the build");
      out.build = std::move(*build_);
      if (out.build->status != RunStatus::kOk) {
        out.run = BuildFailure(*out.build);
        return out;
      }
    }
    if (!run_) run_ = unreported();
    if (!run_) return internal("the step runner did not report the run");
    out.run = std::move(*run_);
    return out;
  }
  const std::string& current() const { return current_; }

 private:
  void Broken(const std::string& why) {
    if (error_.empty()) error_ = why;
    done_ = true;
  }

  const runtime::JobCommand& Command(const std::string& step) const {
    return step == "build" && job_.build ? *job_.build : job_.run;
  }

  void Handle(std::string_view line) {
    if (line.size() < 1) return;
    const char kind = line[0];
    const std::string_view rest = line.size() > 2 ? line.substr(2) : std::string_view();
    switch (kind) {
      case 'O':
      case 'E': {
        std::string bytes;
        if (!Base64Decode(rest, bytes)) return Broken("the step runner's output is garbled");
        Output(kind == 'O' ? Stream::kStdout : Stream::kStderr, bytes);
        return;
      }
      case 'S':
        started_ = true;
        current_ = std::string(rest);
        step_ = RunResult{};
        seen_[0] = seen_[1] = 0;
        if (callbacks_.on_status) callbacks_.on_status(current_ == "build" ? RunStatus::kBuilding : RunStatus::kRunning);
        return;
      case 'R':
        return Report(rest);
      case 'F': {
        started_ = true;
        RunResult r;
        r.status = RunStatus::kRuntimeError;
        r.message = "the files do not fit in the work directory (" + FormatSize(job_.run.limits.disk_bytes) + ")";
        files_failed_ = std::move(r);
        return;
      }
      case 'X':
        started_ = true;
        return Broken("the step runner failed: " + std::string(rest));
      case 'D':
        done_ = true;
        return;
      default:
        return Broken("the step runner wrote an unknown line");
    }
  }

  void Output(Stream s, std::string_view bytes) {
    const int i = s == Stream::kStdout ? 0 : 1;
    const uint64_t limit = Command(current_).limits.output_bytes;
    const uint64_t room = limit > seen_[i] ? limit - seen_[i] : 0;
    const std::string_view take = bytes.substr(0, std::min<uint64_t>(room, bytes.size()));
    if (take.empty()) return;
    seen_[i] += take.size();
    std::string& kept = i == 0 ? step_.stdout_data : step_.stderr_data;
    const uint64_t keep_room =
        kept.size() < callbacks_.keep_output_bytes ? callbacks_.keep_output_bytes - kept.size() : 0;
    kept.append(take.substr(0, std::min<uint64_t>(keep_room, take.size())));
    if (take.size() > keep_room) (i == 0 ? step_.stdout_clipped : step_.stderr_clipped) = true;
    if (callbacks_.on_output) callbacks_.on_output(s, take);
  }

  void Report(std::string_view text) {
    const size_t space = text.find(' ');
    const std::string name(text.substr(0, space));
    auto f = ParseFields(space == std::string_view::npos ? std::string_view() : text.substr(space + 1));
    auto num = [&](const char* key) -> int64_t { return std::strtoll(f[key].c_str(), nullptr, 10); };
    RunResult r = std::move(step_);
    step_ = {};
    if (f.count("exit")) r.exit_code = static_cast<int>(num("exit"));
    if (f.count("signal")) r.signal = static_cast<int>(num("signal"));
    r.cpu_time_ms = num("cpu_ms");
    r.wall_time_ms = num("wall_ms");
    r.memory_peak_bytes = static_cast<uint64_t>(num("memory"));
    r.cgroup_version = f["cgroup"];
    r.stdout_truncated = f["stdout_truncated"] == "1";
    r.stderr_truncated = f["stderr_truncated"] == "1";
    const std::string& k = f["kill"];
    const StepKill kill = k == "wall"     ? StepKill::kWall
                          : k == "cpu"    ? StepKill::kCpu
                          : k == "memory" ? StepKill::kMemory
                          : k == "output" ? StepKill::kOutput
                                          : StepKill::kNone;
    const runtime::JobCommand& cmd = Command(name);
    ClassifyStep(r, cmd.limits, kill, static_cast<uint64_t>(num("oom")), static_cast<uint64_t>(num("hits")));
    runtime::ClassifyMemoryErrors(job_, r);
    (name == "build" ? build_ : run_) = std::move(r);
  }

  const runtime::Job& job_;
  const JobCallbacks& callbacks_;
  std::string pending_;
  std::string current_;
  RunResult step_;
  uint64_t seen_[2] = {0, 0};
  bool started_ = false;
  bool done_ = false;
  std::string error_;
  std::optional<RunResult> build_, run_, files_failed_;
};

}  // namespace runlet::platform::swarm
