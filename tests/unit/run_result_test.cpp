#include "core/run_result.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace runlet {
namespace {

constexpr RunStatus kAll[] = {
    RunStatus::kQueued,      RunStatus::kBuilding,     RunStatus::kRunning,
    RunStatus::kOk,          RunStatus::kRuntimeError, RunStatus::kCompileError,
    RunStatus::kTimeLimit,   RunStatus::kMemoryLimit,  RunStatus::kOutputLimit,
    RunStatus::kCancelled,   RunStatus::kInternalError,
};

TEST(StatusName, UsesTheNamesOfThePublicContract) {
  EXPECT_EQ(StatusName(RunStatus::kQueued), "queued");
  EXPECT_EQ(StatusName(RunStatus::kBuilding), "building");
  EXPECT_EQ(StatusName(RunStatus::kRunning), "running");
  EXPECT_EQ(StatusName(RunStatus::kOk), "ok");
  EXPECT_EQ(StatusName(RunStatus::kRuntimeError), "runtime_error");
  EXPECT_EQ(StatusName(RunStatus::kCompileError), "compile_error");
  EXPECT_EQ(StatusName(RunStatus::kTimeLimit), "time_limit");
  EXPECT_EQ(StatusName(RunStatus::kMemoryLimit), "memory_limit");
  EXPECT_EQ(StatusName(RunStatus::kOutputLimit), "output_limit");
  EXPECT_EQ(StatusName(RunStatus::kCancelled), "cancelled");
  EXPECT_EQ(StatusName(RunStatus::kInternalError), "internal_error");
}

TEST(StatusName, RoundTripsThroughParseStatusForEveryStatus) {
  std::set<std::string_view> names;
  for (RunStatus status : kAll) {
    const auto name = StatusName(status);
    EXPECT_TRUE(names.insert(name).second) << "two statuses are called " << name;
    auto back = ParseStatus(name);
    ASSERT_TRUE(back.has_value()) << name;
    EXPECT_EQ(*back, status) << name;
  }
}

TEST(ParseStatus, RefusesUnknownNames) {
  for (const char* name : {"", "OK", "Ok", "ok ", " ok", "timeout", "time-limit", "error"}) {
    EXPECT_FALSE(ParseStatus(name).has_value()) << '"' << name << '"';
  }
}

TEST(IsFinal, IsFalseOnlyWhileARunIsQueuedBuildingOrRunning) {
  for (RunStatus status : kAll) {
    const bool pending = status == RunStatus::kQueued || status == RunStatus::kBuilding ||
                         status == RunStatus::kRunning;
    EXPECT_EQ(IsFinal(status), !pending) << StatusName(status);
  }
}

TEST(ShellExitCode, PassesTheExitCodeOnAndMapsSignalsTo128PlusN) {
  RunResult r;
  r.status = RunStatus::kRuntimeError;
  r.exit_code = 3;
  EXPECT_EQ(ShellExitCode(r), 3);
  r.exit_code.reset();
  r.signal = 9;
  EXPECT_EQ(ShellExitCode(r), 137);
  r.signal.reset();
  EXPECT_EQ(ShellExitCode(r), 1);
  r.status = RunStatus::kOk;
  EXPECT_EQ(ShellExitCode(r), 0);
}

}  // namespace
}  // namespace runlet
