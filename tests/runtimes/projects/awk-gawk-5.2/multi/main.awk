@include "mathutil.awk"
@include "lib/greet.awk"

BEGIN {
    print "add(3, 4) = " add(3, 4)
    print greeting(NAME)
}
