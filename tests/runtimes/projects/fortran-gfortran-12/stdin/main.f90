program upper
  implicit none
  character(len=4096) :: line
  integer :: ios, i, n
  do
    read (*, '(a)', iostat=ios) line
    if (ios /= 0) exit
    n = len_trim(line)
    do i = 1, n
      if (line(i:i) >= 'a' .and. line(i:i) <= 'z') line(i:i) = achar(iachar(line(i:i)) - 32)
    end do
    write (*, '(a)') line(1:n)
  end do
end program upper
