create buf 4096 allot
: upcase-buf ( u -- ) buf + buf ?do i c@ dup [char] a >= over [char] z <= and if 32 - i c! else drop then loop ;
: upper-lines ( -- ) begin buf 4096 stdin read-line throw while dup upcase-buf buf swap type cr repeat drop ;
upper-lines
