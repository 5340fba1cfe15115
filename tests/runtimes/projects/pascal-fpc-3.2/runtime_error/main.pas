program Fail;
begin
  WriteLn(StdErr, 'about to fail');
  Halt(3);
end.
