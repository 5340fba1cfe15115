package Greet is
   Name : constant String := "runlet";
   function Greeting (Who : String) return String;
end Greet;
