function n = greet_name()
  n = "runlet";
end
