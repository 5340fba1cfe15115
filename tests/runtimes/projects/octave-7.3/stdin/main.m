while true
  line = fgetl(stdin);
  if ~ischar(line)
    break;
  end
  printf("%s\n", upper(line));
end
