let () =
  Printf.printf "add(3, 4) = %d\n" (Mathutil.add 3 4);
  print_endline (Greet.greeting Greet.name)
