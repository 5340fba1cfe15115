.( hello, world) cr
