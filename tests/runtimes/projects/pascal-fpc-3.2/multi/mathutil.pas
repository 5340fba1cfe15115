unit MathUtil;

interface

function Add(A, B: Integer): Integer;

implementation

function Add(A, B: Integer): Integer;
begin
  Add := A + B;
end;

end.
