const NAME* = "runlet"

proc greeting*(name: string): string = "greet: hello, " & name
