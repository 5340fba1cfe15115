#include <iostream>

#include "greet/greeter.h"
#include "mathutil.h"

int main() {
  std::cout << "add(3, 4) = " << mathutil::Add(3, 4) << "\n";
  std::cout << greet::Greeter("greet: ").Greeting(greet::kName) << "\n";
}
