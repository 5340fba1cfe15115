import mathutil
import lib/greet

echo "add(3, 4) = ", add(3, 4)
echo greeting(NAME)
