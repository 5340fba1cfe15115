(display "about to fail\n" (current-error-port))
(exit 3)
