(use-modules (ice-9 rdelim))

(let loop ((line (read-line)))
  (unless (eof-object? line)
    (display (string-upcase line))
    (newline)
    (loop (read-line))))
