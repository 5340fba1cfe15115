#include "greeter.h"

#include <utility>

namespace greet {

Greeter::Greeter(std::string prefix) : prefix_(std::move(prefix)) {}

std::string Greeter::Greeting(std::string_view name) const {
  return prefix_ + "hello, " + std::string(name);
}

}  // namespace greet
