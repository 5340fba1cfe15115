fun main() {
    println(undefined_thing)
}
