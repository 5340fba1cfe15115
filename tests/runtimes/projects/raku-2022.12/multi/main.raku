use lib $*PROGRAM.parent.Str;
use MathUtil;
use Lib::Greet;

say "add(3, 4) = {add(3, 4)}";
say greeting(NAME);
