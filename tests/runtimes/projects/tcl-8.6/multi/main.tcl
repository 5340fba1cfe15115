set here [file dirname [info script]]
source [file join $here mathutil.tcl]
source [file join $here lib greet.tcl]

puts "add(3, 4) = [add 3 4]"
puts [greeting $::greet::name]
