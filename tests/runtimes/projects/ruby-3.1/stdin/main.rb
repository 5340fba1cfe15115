$stdout.write($stdin.read.upcase)
