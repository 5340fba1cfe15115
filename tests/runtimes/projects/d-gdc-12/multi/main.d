import std.stdio;
import mathutil;
import lib.greet;

void main() {
    writefln("add(3, 4) = %d", add(3, 4));
    writeln(greeting(NAME));
}
