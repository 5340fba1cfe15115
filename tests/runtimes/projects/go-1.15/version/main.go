package main

import (
	"fmt"
	"runtime"
)

// The toolchain that built this program, as it names itself ("go1.19.8").
func main() {
	fmt.Println(runtime.Version())
}
