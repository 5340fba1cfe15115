#include <iostream>

int main() {
  std::cout << undefined_thing << "\n";
}
