program fail
  use iso_fortran_env, only: error_unit
  write (error_unit, '(a)') 'about to fail'
  stop 3
end program fail
