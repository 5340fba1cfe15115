namespace Runlet.Greetings {
  public static class Greeter {
    public const string Name = "runlet";
    public static string Greeting(string name) { return "greet: hello, " + name; }
  }
}
