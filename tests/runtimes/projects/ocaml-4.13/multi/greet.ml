let name = "runlet"
let greeting n = "greet: hello, " ^ n
