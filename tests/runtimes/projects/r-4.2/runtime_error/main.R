message("about to fail")
quit(status = 3)
