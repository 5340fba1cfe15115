import strutils

stdout.write(stdin.readAll().toUpperAscii())
