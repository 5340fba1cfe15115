IO.read(:stdio, :eof) |> String.upcase() |> IO.write()
