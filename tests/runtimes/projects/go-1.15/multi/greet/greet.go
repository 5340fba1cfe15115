// Package greet is a sub-package of the module.
package greet

// Name is who is greeted.
const Name = "runlet"

// Greeting says hello to name.
func Greeting(name string) string {
	return "greet: hello, " + name
}
