source("mathutil.R")
source("lib/greet.R")

cat(sprintf("add(3, 4) = %d\n", add(3L, 4L)))
cat(greeting(NAME), "\n", sep = "")
