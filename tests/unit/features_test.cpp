// DetectFeatures with each forced cgroup mode. These read the real host: the test host
// has the hybrid layout (v1 memory, pids, cpu, cpuacct and freezer hierarchies, and a
// cgroup2 mount at /sys/fs/cgroup/unified without controllers), so v2 cannot be chosen.
#include "sandbox/features.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>

#include "sandbox/cgroup.h"

namespace runlet::sandbox {
namespace {

// Sets or clears RUNLET_CGROUP for one test, restoring what was there.
class ScopedCgroupEnv {
 public:
  explicit ScopedCgroupEnv(const char* value) {
    if (const char* old = ::getenv("RUNLET_CGROUP")) old_ = old;
    if (value) {
      ::setenv("RUNLET_CGROUP", value, 1);
    } else {
      ::unsetenv("RUNLET_CGROUP");
    }
  }
  ~ScopedCgroupEnv() {
    if (old_.empty()) {
      ::unsetenv("RUNLET_CGROUP");
    } else {
      ::setenv("RUNLET_CGROUP", old_.c_str(), 1);
    }
  }

 private:
  std::string old_;
};

TEST(DetectFeatures, ChoosesV1OnThisHybridHost) {
  ScopedCgroupEnv env(nullptr);
  auto f = DetectFeatures();
  ASSERT_TRUE(f.has_value()) << f.error().message;
  EXPECT_EQ(f->cgroup, CgroupMode::kV1) << DescribeFeatures(*f);
  EXPECT_FALSE(f->cgroup2_root.empty());
  EXPECT_FALSE(f->cgroup2_has_controllers);
  EXPECT_FALSE(f->notes.empty()) << "the hybrid layout should be explained";
}

TEST(DetectFeatures, ForcingV1FindsEveryHierarchy) {
  ScopedCgroupEnv env(nullptr);
  auto f = DetectFeatures("v1");
  ASSERT_TRUE(f.has_value()) << f.error().message;
  EXPECT_EQ(f->cgroup, CgroupMode::kV1);
  for (const char* controller : {"memory", "pids", "cpu", "cpuacct", "freezer"}) {
    ASSERT_TRUE(f->v1_mounts.count(controller)) << controller;
    EXPECT_EQ(f->v1_mounts.at(controller).rfind("/sys/fs/cgroup/", 0), 0u) << f->v1_mounts.at(controller);
  }
  EXPECT_TRUE(f->new_mount_api);
  EXPECT_TRUE(f->user_namespaces);
  EXPECT_EQ(CgroupModeName(f->cgroup), "v1");
}

TEST(DetectFeatures, ForcingV2FailsNamingTheMissingControllers) {
  ScopedCgroupEnv env(nullptr);
  auto f = DetectFeatures("v2");
  ASSERT_FALSE(f.has_value()) << DescribeFeatures(*f);
  const std::string& message = f.error().message;
  for (const char* word : {"v2", "memory", "pids", "cpu", "/sys/fs/cgroup/unified"}) {
    EXPECT_NE(message.find(word), std::string::npos) << word << " missing from: " << message;
  }
}

TEST(DetectFeatures, RefusesABogusMode) {
  ScopedCgroupEnv env(nullptr);
  auto f = DetectFeatures("bogus");
  ASSERT_FALSE(f.has_value());
  EXPECT_NE(f.error().message.find("bogus"), std::string::npos) << f.error().message;
  EXPECT_NE(f.error().message.find("v1"), std::string::npos) << f.error().message;
}

TEST(DetectFeatures, ForcingNoneGivesAModeTheCgroupManagerRefuses) {
  ScopedCgroupEnv env(nullptr);
  auto f = DetectFeatures("none");
  ASSERT_TRUE(f.has_value()) << f.error().message;
  EXPECT_EQ(f->cgroup, CgroupMode::kNone);
  auto manager = MakeCgroupManager(*f, "runlet-unit-test-none");
  ASSERT_FALSE(manager.has_value());
  EXPECT_NE(manager.error().message.find("memory"), std::string::npos) << manager.error().message;
}

TEST(DetectFeatures, ReadsTheModeFromRunletCgroupWhenNoneIsGiven) {
  ScopedCgroupEnv env("bogus-from-env");
  auto f = DetectFeatures();
  ASSERT_FALSE(f.has_value());
  EXPECT_NE(f.error().message.find("bogus-from-env"), std::string::npos) << f.error().message;
  // An explicit choice wins over the environment.
  auto forced = DetectFeatures("v1");
  ASSERT_TRUE(forced.has_value()) << forced.error().message;
  EXPECT_EQ(forced->cgroup, CgroupMode::kV1);
}

TEST(DescribeFeatures, ReportsTheChosenModeAndTheHierarchies) {
  ScopedCgroupEnv env(nullptr);
  auto f = DetectFeatures("v1");
  ASSERT_TRUE(f.has_value()) << f.error().message;
  const std::string text = DescribeFeatures(*f);
  EXPECT_NE(text.find("cgroup: v1"), std::string::npos) << text;
  EXPECT_NE(text.find("cgroup v1 memory"), std::string::npos) << text;
  EXPECT_NE(text.find("no usable controllers"), std::string::npos) << text;
}

}  // namespace
}  // namespace runlet::sandbox
