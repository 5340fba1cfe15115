print STDERR "about to fail\n";
exit 3;
