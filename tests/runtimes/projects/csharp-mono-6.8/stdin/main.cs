using System;

class Program {
  static void Main() {
    Console.Write(Console.In.ReadToEnd().ToUpperInvariant());
  }
}
