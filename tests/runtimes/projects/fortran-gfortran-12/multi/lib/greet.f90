module greet
  implicit none
  character(len=*), parameter :: name = 'runlet'
contains
  function greeting(who) result(text)
    character(len=*), intent(in) :: who
    character(len=:), allocatable :: text
    text = 'greet: hello, ' // who
  end function greeting
end module greet
