function s = mathutil_add(a, b)
  s = a + b;
end
