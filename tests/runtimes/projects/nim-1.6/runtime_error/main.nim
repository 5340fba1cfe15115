stderr.writeLine("about to fail")
quit(3)
