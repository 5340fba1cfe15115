package MathUtil;
use strict;
use warnings;
use Exporter 'import';
our @EXPORT_OK = qw(add);

sub add {
    my ($a, $b) = @_;
    return $a + $b;
}

1;
