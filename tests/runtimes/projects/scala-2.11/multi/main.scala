import greet.Greeter

object Main {
  def main(args: Array[String]): Unit = {
    println(s"add(3, 4) = ${MathUtil.add(3, 4)}")
    println(Greeter.greeting(Greeter.Name))
  }
}
