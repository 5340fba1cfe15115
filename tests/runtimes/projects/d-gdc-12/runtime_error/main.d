import std.stdio;
import core.stdc.stdlib : exit;

void main() {
    stderr.writeln("about to fail");
    exit(3);
}
