IO.puts(:stderr, "about to fail")
System.halt(3)
