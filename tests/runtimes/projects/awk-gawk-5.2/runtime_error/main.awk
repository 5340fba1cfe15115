BEGIN {
    print "about to fail" > "/dev/stderr"
    exit 3
}
