function g = greeting(who)
  g = ["greet: hello, " who];
end
