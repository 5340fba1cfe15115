module lib.greet;

enum NAME = "runlet";

string greeting(string name) {
    return "greet: hello, " ~ name;
}
