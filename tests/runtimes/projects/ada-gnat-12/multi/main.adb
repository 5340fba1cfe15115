with Ada.Text_IO;
with Mathutil;
with Greet;

procedure Main is
begin
   Ada.Text_IO.Put_Line ("add(3, 4) =" & Integer'Image (Mathutil.Add (3, 4)));
   Ada.Text_IO.Put_Line (Greet.Greeting (Greet.Name));
end Main;
