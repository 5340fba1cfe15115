(format *error-output* "about to fail~%")
(sb-ext:exit :code 3)
