import greet.NAME
import greet.greeting

fun main() {
    println("add(3, 4) = ${add(3, 4)}")
    println(greeting(NAME))
}
