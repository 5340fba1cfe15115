dummy = system("echo about to fail 1>&2")
exit 3
