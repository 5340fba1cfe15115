#lang racket/base
(require "mathutil.rkt" "lib/greet.rkt")

(printf "add(3, 4) = ~a\n" (add 3 4))
(displayln (greeting name))
