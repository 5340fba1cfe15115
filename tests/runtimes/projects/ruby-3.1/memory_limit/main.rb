# Keeps 1 GiB alive, 16 MiB at a time.
chunks = []
64.times { chunks << ("x" * (16 << 20)) }
puts "allocated #{chunks.size * 16} MiB"
