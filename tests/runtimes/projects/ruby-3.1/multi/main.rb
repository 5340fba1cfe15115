require_relative "lib/math_util"
require_relative "greet"

puts "add(3, 4) = #{MathUtil.add(3, 4)}"
puts Greet.greeting(Greet::NAME)
