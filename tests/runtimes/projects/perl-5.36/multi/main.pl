use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use MathUtil qw(add);
use Greet::Hello;

print "add(3, 4) = ", add(3, 4), "\n";
print Greet::Hello::greeting($Greet::Hello::NAME), "\n";
