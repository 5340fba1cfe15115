using System;

class Program {
  static int Main() {
    Console.Error.WriteLine("about to fail");
    return 3;
  }
}
