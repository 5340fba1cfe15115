#pragma once

#include <string>
#include <string_view>

namespace greet {

inline constexpr std::string_view kName = "runlet";

class Greeter {
 public:
  explicit Greeter(std::string prefix);
  std::string Greeting(std::string_view name) const;

 private:
  std::string prefix_;
};

}  // namespace greet
