// The filter linked into the sandbox is the one libseccomp compiles from
// seccomp_filter.cpp (what it does is the abuse suite's business).
#include <gtest/gtest.h>

#include <cstring>

#include "sandbox/seccomp_filter.h"

namespace runlet::sandbox {
namespace {

TEST(SeccompFilter, PrecompiledProgramIsWhatLibseccompCompilesFromTheRules) {
  auto built = BuildSeccompProgram();
  ASSERT_TRUE(built) << built.error().message;
  const SeccompProgram linked = PrecompiledSeccompProgram();
  ASSERT_GT(linked.instructions.size(), 20u);
  ASSERT_EQ(linked.instructions.size(), built->instructions.size());
  for (size_t i = 0; i < linked.instructions.size(); ++i) {
    const auto& a = linked.instructions[i];
    const auto& b = built->instructions[i];
    EXPECT_TRUE(a.code == b.code && a.jt == b.jt && a.jf == b.jf && a.k == b.k) << "instruction " << i;
  }
}

#if defined(__x86_64__)
TEST(SeccompFilter, PrecompiledProgramChecksTheArchitectureFirst) {
  // seccomp_data.arch (offset 4) is loaded and compared before any system call number.
  const SeccompProgram linked = PrecompiledSeccompProgram();
  ASSERT_GE(linked.instructions.size(), 2u);
  EXPECT_EQ(linked.instructions[0].code, BPF_LD | BPF_W | BPF_ABS);
  EXPECT_EQ(linked.instructions[0].k, 4u);
  EXPECT_EQ(linked.instructions[1].code & 0x07, BPF_JMP);
  EXPECT_EQ(linked.instructions[1].k, 0xc000003eu);  // AUDIT_ARCH_X86_64
}
#endif

}  // namespace
}  // namespace runlet::sandbox
