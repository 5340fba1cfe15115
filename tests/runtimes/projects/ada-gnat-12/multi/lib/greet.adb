package body Greet is
   function Greeting (Who : String) return String is
   begin
      return "greet: hello, " & Who;
   end Greeting;
end Greet;
