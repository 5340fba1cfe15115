namespace eval greet {
    variable name "runlet"
}

proc greeting {who} {
    return "greet: hello, $who"
}
