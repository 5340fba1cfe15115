using System;
using Runlet.Greetings;

class Program {
  static void Main() {
    Console.WriteLine("add(3, 4) = " + MathUtil.Add(3, 4));
    Console.WriteLine(Greeter.Greeting(Greeter.Name));
  }
}
