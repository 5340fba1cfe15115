#import <objc/runtime.h>

@interface MathUtil {
  Class isa;
}
+ (int)add:(int)a to:(int)b;
@end
