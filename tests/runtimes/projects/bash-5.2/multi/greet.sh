GREET_NAME=runlet

greeting() {
  echo "greet: hello, $1"
}
