with Ada.Text_IO;
with Ada.Command_Line;

procedure Main is
begin
   Ada.Text_IO.Put_Line (Ada.Text_IO.Standard_Error, "about to fail");
   Ada.Command_Line.Set_Exit_Status (3);
end Main;
