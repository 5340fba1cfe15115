#include "mathutil.h"

namespace mathutil {
int Add(int a, int b) { return a + b; }
}  // namespace mathutil
