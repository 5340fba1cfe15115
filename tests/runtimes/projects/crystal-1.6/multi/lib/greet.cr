module Greet
  NAME = "runlet"

  def self.greeting(name)
    "greet: hello, #{name}"
  end
end
