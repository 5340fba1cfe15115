object Main {
  def main(args: Array[String]): Unit = {
    print(scala.io.Source.stdin.mkString.toUpperCase)
  }
}
