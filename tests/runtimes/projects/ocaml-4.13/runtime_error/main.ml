let () =
  prerr_endline "about to fail";
  exit 3
