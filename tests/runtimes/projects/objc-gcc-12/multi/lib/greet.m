#import "lib/greet.h"

@implementation Greet
+ (const char *)greeting {
  return "greet: hello, runlet";
}
@end
