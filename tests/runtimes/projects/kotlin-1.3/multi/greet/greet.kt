package greet

const val NAME = "runlet"

fun greeting(name: String): String = "greet: hello, $name"
