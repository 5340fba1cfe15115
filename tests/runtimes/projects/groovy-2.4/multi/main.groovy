import greet.Greeter

println "add(3, 4) = ${MathUtil.add(3, 4)}"
println Greeter.greeting(Greeter.NAME)
