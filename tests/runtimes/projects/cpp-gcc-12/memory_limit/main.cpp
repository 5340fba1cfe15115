#include <iostream>
#include <memory>
#include <vector>

// Keeps 1 GiB alive, 16 MiB at a time, touching every page.
int main() {
  std::vector<std::vector<char>> chunks;
  for (int i = 0; i < 64; ++i) chunks.emplace_back(16 << 20, 'x');
  std::cout << "allocated " << chunks.size() * 16 << " MiB\n";
}
