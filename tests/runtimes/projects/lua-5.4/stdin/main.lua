io.write(string.upper(io.read("a")))
