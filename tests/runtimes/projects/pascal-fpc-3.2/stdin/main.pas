program Upper;
var Line: string;
begin
  while not Eof(Input) do
  begin
    ReadLn(Line);
    WriteLn(UpCase(Line));
  end;
end.
