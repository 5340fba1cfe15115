let () = print_int (undefined_thing + 1)
