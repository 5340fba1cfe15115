say "hello, world";
