with Ada.Text_IO; use Ada.Text_IO;
with Ada.Characters.Handling; use Ada.Characters.Handling;

procedure Main is
begin
   while not End_Of_File loop
      Put_Line (To_Upper (Get_Line));
   end loop;
end Main;
