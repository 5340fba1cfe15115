#ifndef MATHUTIL_H
#define MATHUTIL_H

int add(int a, int b);

#endif
