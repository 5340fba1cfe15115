with Ada.Text_IO;

procedure Main is
begin
   Ada.Text_IO.Put_Line (Integer'Image (undefined_thing + 1));
end Main;
