BEGIN { NAME = "runlet" }

function greeting(who) { return "greet: hello, " who }
