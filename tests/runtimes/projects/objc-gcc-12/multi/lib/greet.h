#import <objc/runtime.h>

@interface Greet {
  Class isa;
}
+ (const char *)greeting;
@end
