while(true)
  line input "" a$
  if (eof(0) and a$ = "") break
  print upper$(a$)
  if (eof(0)) break
wend
