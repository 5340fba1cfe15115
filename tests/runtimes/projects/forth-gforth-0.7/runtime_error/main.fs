s" about to fail" stderr write-line throw
3 (bye)
