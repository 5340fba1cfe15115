local $/;
my $text = <STDIN>;
print uc($text // '');
