package main

import (
	"io/ioutil"
	"os"
	"strings"
)

// io.ReadAll is Go 1.16; Go 1.15 has ioutil.ReadAll.
func main() {
	data, err := ioutil.ReadAll(os.Stdin)
	if err != nil {
		panic(err)
	}
	os.Stdout.WriteString(strings.ToUpper(string(data)))
}
