program Broken;
begin
  WriteLn(undefined_thing + 1);
end.
