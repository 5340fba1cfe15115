#import <objc/runtime.h>
#include <stdio.h>

@interface Greeter {
  Class isa;
}
+ (id)new;
- (void)hello;
@end

@implementation Greeter
+ (id)new {
  return class_createInstance(self, 0);
}
- (void)hello {
  puts("hello, world");
}
@end

int main(void) {
  [[Greeter new] hello];
  return 0;
}
