package main

import "fmt"

// Keeps 1 GiB alive, 16 MiB at a time, touching every page.
func main() {
	var chunks [][]byte
	for i := 0; i < 64; i++ {
		chunk := make([]byte, 16<<20)
		for j := range chunk {
			chunk[j] = 'x'
		}
		chunks = append(chunks, chunk)
	}
	fmt.Println("allocated", len(chunks)*16, "MiB")
}
