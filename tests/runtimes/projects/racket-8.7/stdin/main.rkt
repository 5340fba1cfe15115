#lang racket/base
(require racket/port)
(display (string-upcase (port->string (current-input-port))))
