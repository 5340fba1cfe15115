program Main;
uses MathUtil, Greet;
begin
  WriteLn('add(3, 4) = ', Add(3, 4));
  WriteLn(Greeting(GreetName));
end.
