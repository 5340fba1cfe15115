package greet

class Greeter {
  static final String NAME = "runlet"
  static String greeting(String name) { "greet: hello, $name" }
}
