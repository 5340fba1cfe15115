let () =
  try
    while true do
      print_endline (String.uppercase_ascii (input_line stdin))
    done
  with End_of_file -> ()
