#include "core/limits.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>

namespace runlet {
namespace {

using std::chrono::milliseconds;

// Expects `limits` to be refused with a message that contains `name`.
void ExpectRefused(const Limits& limits, const std::string& name) {
  auto s = ValidateLimits(limits);
  ASSERT_FALSE(s.has_value()) << "accepted; expected a complaint about " << name;
  EXPECT_NE(s.error().message.find(name), std::string::npos) << s.error().message;
}

TEST(ValidateLimits, AcceptsTheDefaults) { EXPECT_TRUE(ValidateLimits(Limits{}).has_value()); }

TEST(ValidateLimits, AcceptsTheMaximaThemselves) {
  EXPECT_TRUE(ValidateLimits(MaxLimits()).has_value()) << ValidateLimits(MaxLimits()).error().message;
}

TEST(ValidateLimits, AcceptsTheMinimaThemselves) {
  Limits l;
  l.cpu_time = milliseconds(10);
  l.wall_time = milliseconds(10);
  l.memory_bytes = 4ull << 20;
  l.pids = 1;
  l.output_bytes = 0;
  l.disk_bytes = 64ull << 10;
  l.disk_inodes = 16;
  l.cpus = 0.01;
  l.open_files = 16;
  l.stack_bytes = 64ull << 10;
  EXPECT_TRUE(ValidateLimits(l).has_value()) << ValidateLimits(l).error().message;
}

struct Case {
  const char* name;  // as the message names it
  std::function<void(Limits&)> below, above;
};

TEST(ValidateLimits, RefusesEachLimitJustOutsideItsRangeAndNamesIt) {
  const Limits max = MaxLimits();
  const Case cases[] = {
      {"cpu time", [](Limits& l) { l.cpu_time = milliseconds(9); },
       [&](Limits& l) { l.cpu_time = max.cpu_time + milliseconds(1); }},
      {"wall time", [](Limits& l) { l.wall_time = milliseconds(9); },
       [&](Limits& l) { l.wall_time = max.wall_time + milliseconds(1); }},
      {"memory", [](Limits& l) { l.memory_bytes = (4ull << 20) - 1; },
       [&](Limits& l) { l.memory_bytes = max.memory_bytes + 1; }},
      {"pids", [](Limits& l) { l.pids = 0; }, [&](Limits& l) { l.pids = max.pids + 1; }},
      {"disk", [](Limits& l) { l.disk_bytes = (64ull << 10) - 1; },
       [&](Limits& l) { l.disk_bytes = max.disk_bytes + 1; }},
      {"inodes", [](Limits& l) { l.disk_inodes = 15; },
       [&](Limits& l) { l.disk_inodes = max.disk_inodes + 1; }},
      {"cpus", [](Limits& l) { l.cpus = 0.009; }, [&](Limits& l) { l.cpus = max.cpus + 0.5; }},
      {"open files", [](Limits& l) { l.open_files = 15; },
       [&](Limits& l) { l.open_files = max.open_files + 1; }},
      {"stack", [](Limits& l) { l.stack_bytes = (64ull << 10) - 1; },
       [&](Limits& l) { l.stack_bytes = max.stack_bytes + 1; }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Limits below;
    c.below(below);
    ExpectRefused(below, c.name);
    Limits above;
    c.above(above);
    ExpectRefused(above, c.name);
  }
}

TEST(ValidateLimits, RefusesOutputAndFileSizeAboveTheirMaxima) {
  Limits l;
  l.output_bytes = MaxLimits().output_bytes + 1;
  ExpectRefused(l, "output");
  Limits f;
  f.file_size_bytes = MaxLimits().file_size_bytes + 1;
  ExpectRefused(f, "file size");
}

TEST(ValidateLimits, RefusesNegativeTimes) {
  Limits l;
  l.cpu_time = milliseconds(-1);
  ExpectRefused(l, "cpu time");
  Limits w;
  w.wall_time = milliseconds(-1000);
  ExpectRefused(w, "wall time");
}

TEST(ValidateLimits, RefusesCpusThatAreNotANumber) {
  Limits l;
  l.cpus = std::nan("");
  ExpectRefused(l, "cpus");
  l.cpus = std::numeric_limits<double>::infinity();
  ExpectRefused(l, "cpus");
  l.cpus = -1;
  ExpectRefused(l, "cpus");
}

TEST(ValidateLimits, RefusesNetworkAccess) {
  Limits l;
  l.network = true;
  ExpectRefused(l, "network");
}

TEST(ValidateLimits, MeasuresAgainstTheMaximaItIsGiven) {
  Limits max = MaxLimits();
  max.memory_bytes = 64ull << 20;
  Limits l;
  l.memory_bytes = 128ull << 20;
  EXPECT_TRUE(ValidateLimits(l).has_value());
  auto s = ValidateLimits(l, max);
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message.find("64M"), std::string::npos) << s.error().message;
}

TEST(MachineLimits, NeverGiveOneRunMoreThanTheMachineHas) {
  const Limits machine = MachineLimits();
  const uint64_t ram = static_cast<uint64_t>(::sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(::sysconf(_SC_PAGE_SIZE));
  EXPECT_LE(machine.memory_bytes, ram / 2);
  EXPECT_LE(machine.disk_bytes, ram / 4);
  EXPECT_LE(machine.cpus, static_cast<double>(::sysconf(_SC_NPROCESSORS_ONLN)));
  EXPECT_TRUE(ValidateLimits(machine).has_value()) << ValidateLimits(machine).error().message;
}

TEST(DefaultUserMaxLimits, AreSmallAndWithinTheMachine) {
  Limits machine = MaxLimits();
  const Limits user = DefaultUserMaxLimits(machine);
  EXPECT_EQ(user.memory_bytes, 512ull << 20);
  EXPECT_EQ(user.cpus, 1.0);
  EXPECT_EQ(user.pids, 256u);
  EXPECT_EQ(user.disk_bytes, 256ull << 20);
  EXPECT_EQ(user.cpu_time, std::chrono::seconds(60));
  EXPECT_TRUE(ValidateLimits(user, machine).has_value());
  // A small machine lowers them.
  machine.memory_bytes = 128ull << 20;
  machine.cpus = 0.5;
  const Limits small = DefaultUserMaxLimits(machine);
  EXPECT_EQ(small.memory_bytes, 128ull << 20);
  EXPECT_EQ(small.cpus, 0.5);
}

TEST(ClampLimits, LowersEveryLimitAboveTheMaximaAndKeepsTheRest) {
  Limits max = DefaultUserMaxLimits(MaxLimits());
  Limits greedy = MaxLimits();
  greedy.file_size_bytes = 0;  // "as large as the disk" stays so
  const Limits clamped = ClampLimits(greedy, max);
  EXPECT_EQ(clamped.memory_bytes, max.memory_bytes);
  EXPECT_EQ(clamped.disk_bytes, max.disk_bytes);
  EXPECT_EQ(clamped.pids, max.pids);
  EXPECT_EQ(clamped.cpus, max.cpus);
  EXPECT_EQ(clamped.cpu_time, max.cpu_time);
  EXPECT_EQ(clamped.wall_time, max.wall_time);
  EXPECT_EQ(clamped.output_bytes, max.output_bytes);
  EXPECT_EQ(clamped.stack_bytes, max.stack_bytes);
  EXPECT_EQ(clamped.file_size_bytes, 0u);
  Limits modest;
  modest.memory_bytes = 64ull << 20;
  EXPECT_EQ(ClampLimits(modest, max).memory_bytes, 64ull << 20);
}

}  // namespace
}  // namespace runlet
