program broken
  implicit none
  print *, undefined_thing + 1
end program broken
