(define-module (lib greet)
  #:export (name greeting))

(define name "runlet")

(define (greeting who) (string-append "greet: hello, " who))
