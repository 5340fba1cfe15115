program main
  use mathutil
  use greet
  implicit none
  write (*, '(a, i0)') 'add(3, 4) = ', add(3, 4)
  write (*, '(a)') greeting(name)
end program main
