puts stderr "about to fail"
exit 3
