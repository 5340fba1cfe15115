import kotlin.system.exitProcess

fun main() {
    System.err.println("about to fail")
    exitProcess(3)
}
