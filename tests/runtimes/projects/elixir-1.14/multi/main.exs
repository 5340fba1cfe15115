Code.require_file("mathutil.ex", __DIR__)
Code.require_file("lib/greet.ex", __DIR__)

IO.puts("add(3, 4) = #{MathUtil.add(3, 4)}")
IO.puts(Greet.greeting(Greet.name()))
