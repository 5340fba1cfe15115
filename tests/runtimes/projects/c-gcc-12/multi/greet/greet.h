#ifndef GREET_GREET_H
#define GREET_GREET_H

#include <stddef.h>

#define GREET_NAME "runlet"

void greeting(char* out, size_t size, const char* name);

#endif
