require "./mathutil"
require "./lib/greet"

puts "add(3, 4) = #{MathUtil.add(3, 4)}"
puts Greet.greeting(Greet::NAME)
