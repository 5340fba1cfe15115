[ an unmatched bracket: beef refuses the program
