import std.stdio;

void main() {
    writeln(undefined_thing + 1);
}
