# Keeps 1 GiB alive, 16 MiB at a time.
my @chunks;
push @chunks, 'x' x (16 << 20) for 1 .. 64;
print "allocated ", scalar(@chunks) * 16, " MiB\n";
