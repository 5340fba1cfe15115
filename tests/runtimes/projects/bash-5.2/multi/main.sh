source ./lib/mathutil.sh
. "$(dirname "$0")/greet.sh"

echo "add(3, 4) = $(add 3 4)"
greeting "$GREET_NAME"
