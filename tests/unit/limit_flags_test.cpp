#include "cli/limit_flags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace runlet::cli {
namespace {

using std::chrono::milliseconds;

// Parses `args` as a command line would, then converts the flags.
Result<Limits> Parse(std::vector<std::string> args) {
  CLI::App app("test");
  LimitFlags flags;
  AddLimitFlags(app, flags);
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 wants them reversed
  app.parse(reversed);
  return ToLimits(flags);
}

void ExpectRefusedNaming(std::vector<std::string> args, const std::string& flag) {
  auto l = Parse(args);
  ASSERT_FALSE(l.has_value()) << args[0] << " " << args[1] << " was accepted";
  EXPECT_NE(l.error().message.find(flag), std::string::npos) << l.error().message;
}

TEST(ToLimits, KeepsTheDefaultsWhenNoFlagIsGiven) {
  auto l = Parse({});
  ASSERT_TRUE(l.has_value()) << l.error().message;
  const Limits defaults;
  EXPECT_EQ(l->cpu_time, defaults.cpu_time);
  EXPECT_EQ(l->wall_time, defaults.wall_time);
  EXPECT_EQ(l->memory_bytes, defaults.memory_bytes);
  EXPECT_EQ(l->pids, defaults.pids);
  EXPECT_FALSE(l->network);
}

TEST(ToLimits, ReadsTimeTwoSecondsAsTwoThousandMilliseconds) {
  auto l = Parse({"--time", "2s"});
  ASSERT_TRUE(l.has_value()) << l.error().message;
  EXPECT_EQ(l->cpu_time, milliseconds(2000));
}

TEST(ToLimits, ReadsEveryFlag) {
  auto l = Parse({"--time", "500ms", "--wall", "3s", "--memory", "128M", "--pids", "16",
                  "--output", "64K", "--disk", "32M", "--cpus", "0.5", "--open-files", "100",
                  "--network", "none"});
  ASSERT_TRUE(l.has_value()) << l.error().message;
  EXPECT_EQ(l->cpu_time, milliseconds(500));
  EXPECT_EQ(l->wall_time, milliseconds(3000));
  EXPECT_EQ(l->memory_bytes, 128ull << 20);
  EXPECT_EQ(l->pids, 16u);
  EXPECT_EQ(l->output_bytes, 64ull << 10);
  EXPECT_EQ(l->disk_bytes, 32ull << 20);
  EXPECT_DOUBLE_EQ(l->cpus, 0.5);
  EXPECT_EQ(l->open_files, 100u);
  EXPECT_FALSE(l->network);
}

TEST(ToLimits, RaisesTheWallLimitSoALongCpuLimitCanBeTheOneHit) {
  auto l = Parse({"--time", "10s"});
  ASSERT_TRUE(l.has_value()) << l.error().message;
  EXPECT_GT(l->wall_time, l->cpu_time);
  auto explicit_wall = Parse({"--time", "10s", "--wall", "4s"});
  ASSERT_TRUE(explicit_wall.has_value()) << explicit_wall.error().message;
  EXPECT_EQ(explicit_wall->wall_time, milliseconds(4000));  // what was asked for
}

TEST(ToLimits, RefusesAnyNetworkButNone) {
  for (const char* mode : {"host", "bridge", "NONE", "private"}) {
    ExpectRefusedNaming({"--network", mode}, "--network");
  }
}

TEST(ToLimits, RefusesBadUnitsNamingTheFlag) {
  ExpectRefusedNaming({"--time", "2parsecs"}, "--time");
  ExpectRefusedNaming({"--time", "two"}, "--time");
  ExpectRefusedNaming({"--wall", "5x"}, "--wall");
  ExpectRefusedNaming({"--memory", "256Q"}, "--memory");
  ExpectRefusedNaming({"--memory", "lots"}, "--memory");
  ExpectRefusedNaming({"--output", "1 M"}, "--output");
  ExpectRefusedNaming({"--disk", "64MM"}, "--disk");
  ExpectRefusedNaming({"--pids", "64k"}, "--pids");
  ExpectRefusedNaming({"--pids", "1.5"}, "--pids");
  ExpectRefusedNaming({"--cpus", "two"}, "--cpus");
  ExpectRefusedNaming({"--cpus", "1c"}, "--cpus");
  ExpectRefusedNaming({"--open-files", "many"}, "--open-files");
}

TEST(ToLimits, RefusesNegativesNamingTheFlag) {
  ExpectRefusedNaming({"--time", "-1s"}, "--time");
  ExpectRefusedNaming({"--memory", "-1M"}, "--memory");
  ExpectRefusedNaming({"--pids", "-1"}, "--pids");
}

TEST(ToLimits, RefusesValuesOutOfRange) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"--time", "0"}, {"--time", "2h"}, {"--memory", "1M"},
        {"--memory", "1T"}, {"--pids", "0"}, {"--pids", "99999999999"}, {"--cpus", "0"},
        {"--cpus", "1000"}, {"--disk", "1K"}}) {
    EXPECT_FALSE(Parse(args).has_value()) << args[0] << " " << args[1];
  }
}

}  // namespace
}  // namespace runlet::cli
