#pragma once

namespace mathutil {
int Add(int a, int b);
}
