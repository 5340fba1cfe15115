print $*IN.slurp.uc;
