print STDIN.gets_to_end.upcase
