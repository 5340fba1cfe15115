package Mathutil is
   function Add (A, B : Integer) return Integer;
end Mathutil;
