unit module MathUtil;

sub add($a, $b) is export { $a + $b }
