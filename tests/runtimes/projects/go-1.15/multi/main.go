package main

import (
	"fmt"

	"example.com/multi/greet"
)

func main() {
	fmt.Printf("add(3, 4) = %d\n", add(3, 4))
	fmt.Println(greet.Greeting(greet.Name))
}
