open #1, "/dev/stderr", "w"
print #1 "about to fail"
close #1
exit 3
