package Greet::Hello;
use strict;
use warnings;

our $NAME = 'runlet';

sub greeting {
    my ($name) = @_;
    return "greet: hello, $name";
}

1;
