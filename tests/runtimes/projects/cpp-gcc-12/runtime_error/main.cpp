#include <iostream>
#include <stdexcept>

// An uncaught exception aborts the program (SIGABRT); this one is caught and turned
// into exit code 3 so the exit code is predictable.
int main() {
  try {
    throw std::runtime_error("about to fail");
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 3;
  }
}
