(load "mathutil.lisp")
(load "lib/greet.lisp")

(format t "add(3, 4) = ~a~%" (add 3 4))
(write-line (greeting *name*))
