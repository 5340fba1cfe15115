(defparameter *name* "runlet")

(defun greeting (name) (concatenate 'string "greet: hello, " name))
