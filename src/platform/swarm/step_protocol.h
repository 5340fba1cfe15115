// What the Swarm platform and its step runner (runlet-swarm-step, the first process of
// every task's container) say to each other. No dependencies beyond the C++ library: the
// runner is a small static executable, shipped to the nodes as a swarm config.
//
// Platform -> runner: files mounted from swarm configs (root-only, mode 0400):
//   /run/runlet/plan      a Plan (EncodePlan)
//   /run/runlet/files.N   the job's files (EncodeFiles), cut in parts below the 1000 KiB a
//                         config may hold; the runner reads them in order
//   /run/runlet/stdin     the run step's input, when there is any
// Runner -> platform: lines on the container's stdout, which only the runner writes (the
// steps' output reaches it through pipes). ASCII whatever the program printed, so that no
// log driver can alter it, and a program cannot forge a line:
//   "O <base64>"             stdout bytes of the current step (at most kChunk decoded)
//   "E <base64>"             stderr bytes
//   "S <step>"               a step starts ("build" or "run")
//   "R <step> key=value..."  its end: exit= or signal=, cpu_ms=, wall_ms=, memory=,
//                            kill=none|wall|cpu|memory|output, oom=0|1, cgroup=v1|v2,
//                            stdout_truncated=0|1, stderr_truncated=0|1
//   "X <message>"            the runner could not go on (setup): the job's internal error
//   "F <message>"            the files do not fit in the work directory
//   "D"                      done: nothing follows
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace runlet::platform::swarm {

inline constexpr size_t kChunk = 8192;                 // output bytes per O/E line
inline constexpr size_t kConfigPartBytes = 1000 * 1000;  // below the engine's 1,024,000
inline constexpr const char* kPlanPath = "/run/runlet/plan";
inline constexpr const char* kFilesPrefix = "/run/runlet/files.";
inline constexpr const char* kStdinPath = "/run/runlet/stdin";
inline constexpr const char* kRunnerPath = "/run/runlet/step";

struct StepSpec {
  std::string name;  // "build" or "run"
  std::vector<std::string> argv;
  std::vector<std::string> env;  // the whole environment, "K=V"
  uint64_t cpu_ms = 0, wall_ms = 0;
  uint64_t memory_bytes = 0;  // the step's own; the container's is the largest step's
  uint64_t output_bytes = 0;  // per stream
  uint64_t pids = 0;          // processes and threads of the step user (RLIMIT_NPROC)
  uint64_t file_size_bytes = 0, open_files = 0, stack_bytes = 0;
  bool reads_stdin = false;  // /run/runlet/stdin (else /dev/null)
};

struct Plan {
  uint32_t uid = 1000;  // steps run as uid:uid, no supplementary groups; the job's own on its node
  uint32_t file_parts = 0;
  std::vector<StepSpec> steps;  // a build step stops the job unless it exits 0
};

std::string EncodePlan(const Plan& plan);
// False (and `error`) on anything malformed.
bool DecodePlan(std::string_view text, Plan& plan, std::string& error);

struct PlanFile {
  std::string path;  // relative, '/'-separated, checked by the caller
  std::string content;
  bool executable = false;
};
std::string EncodeFiles(const std::vector<PlanFile>& files);
bool DecodeFiles(std::string_view data, std::vector<PlanFile>& files, std::string& error);

std::string Base64Encode(std::string_view data);
// False on a character outside the alphabet or a bad length.
bool Base64Decode(std::string_view text, std::string& out);

// "R" lines' fields.
std::map<std::string, std::string> ParseFields(std::string_view text);

}  // namespace runlet::platform::swarm
