import std.stdio;
import std.uni : toUpper;

void main() {
    foreach (line; stdin.byLine(KeepTerminator.yes)) write(toUpper(line));
}
