require mathutil.fs
require lib/greet.fs

." add(3, 4) = " 3 4 add 0 .r cr
greeting type cr
