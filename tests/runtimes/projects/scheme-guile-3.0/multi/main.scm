(load "mathutil.scm")
(use-modules (lib greet))

(display (string-append "add(3, 4) = " (number->string (add 3 4))))
(newline)
(display (greeting name))
(newline)
