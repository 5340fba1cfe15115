#lang racket/base
(provide name greeting)

(define name "runlet")
(define (greeting who) (string-append "greet: hello, " who))
