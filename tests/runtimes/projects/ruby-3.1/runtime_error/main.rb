warn "about to fail"
exit 3
