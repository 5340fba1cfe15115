#include "core/limits.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace runlet
