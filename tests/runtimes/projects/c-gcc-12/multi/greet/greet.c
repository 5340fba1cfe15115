#include "greet.h"

#include <stdio.h>

void greeting(char* out, size_t size, const char* name) {
  snprintf(out, size, "greet: hello, %s", name);
}
