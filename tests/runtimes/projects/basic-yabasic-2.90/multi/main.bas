import mathutil
import greet

print "add(3, 4) = ", mathutil.add(3, 4)
print greet.greeting$("runlet")
