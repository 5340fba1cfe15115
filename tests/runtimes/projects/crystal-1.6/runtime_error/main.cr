STDERR.puts "about to fail"
exit 3
