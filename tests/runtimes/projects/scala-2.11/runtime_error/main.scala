object Main {
  def main(args: Array[String]): Unit = {
    System.err.println("about to fail")
    sys.exit(3)
  }
}
