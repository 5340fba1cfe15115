#import "mathutil.h"

@implementation MathUtil
+ (int)add:(int)a to:(int)b {
  return a + b;
}
@end
