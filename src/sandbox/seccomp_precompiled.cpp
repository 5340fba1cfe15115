#include "sandbox/seccomp_filter.h"

namespace runlet::sandbox {

SeccompProgram PrecompiledSeccompProgram() {
  static const struct sock_filter kProgram[] = {
#include "seccomp_program.inc"
  };
  SeccompProgram program;
  program.instructions.assign(std::begin(kProgram), std::end(kProgram));
  return program;
}

}  // namespace runlet::sandbox
