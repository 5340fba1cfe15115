// Small helpers shared by the benchmark drivers: a monotonic clock, percentiles,
// running a command with its output captured, and the host's description.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace runlet::bench {

// Nanoseconds on CLOCK_MONOTONIC.
int64_t NowNs();

struct Stats {
  size_t count = 0;
  double median_ms = 0, p99_ms = 0, mean_ms = 0, min_ms = 0, max_ms = 0;
};
// Percentiles by the nearest-rank method over samples in nanoseconds.
Stats Summarize(std::vector<int64_t> samples_ns);

struct CommandResult {
  bool started = false;    // fork and exec succeeded
  bool timed_out = false;  // killed after `timeout_ms`
  int wait_status = 0;
  std::string output;  // stdout and stderr, interleaved
  int64_t elapsed_ns = 0;  // fork to reaped child and end of output
};

// Runs argv[0] (an absolute path) with `argv` and the given environment, stdin from
// /dev/null, stdout and stderr into one pipe that is read to the end, and waits for it.
// fork + execve + waitpid: what "bare exec" means in the tables.
CommandResult RunCommand(const std::vector<std::string>& argv, int timeout_ms = 60000,
                         const std::vector<std::string>* env = nullptr);

// "ok" when the command exited 0 and printed `expect`; otherwise a short reason.
std::string CheckOutput(const CommandResult& r, const std::string& expect);

// PATH lookup; "" when not found.
std::string FindProgram(const std::string& name);

std::string KernelRelease();
unsigned OnlineCpus();
std::string CpuModel();
std::string Trim(std::string s);
// One decimal place below 10, none above: "0.84", "3.1", "512".
std::string FormatMs(double ms);
std::string FormatRatio(double r);

}  // namespace runlet::bench
