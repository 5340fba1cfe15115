package greet

object Greeter {
  val Name = "runlet"
  def greeting(name: String): String = s"greet: hello, $name"
}
