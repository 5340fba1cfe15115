NAME <- "runlet"
greeting <- function(name) paste0("greet: hello, ", name)
