# Imports a sibling module and a package folder.
import mathutil
from pkg import greet
from pkg.greet import NAME

print(f"add(3, 4) = {mathutil.add(3, 4)}")
print(greet.greeting(NAME))
