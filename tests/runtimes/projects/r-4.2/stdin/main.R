lines <- readLines(file("stdin"))
writeLines(toupper(lines))
