local mathutil = require("mathutil")
local greet = require("lib.greet")

print("add(3, 4) = " .. mathutil.add(3, 4))
print(greet.greeting(greet.NAME))
