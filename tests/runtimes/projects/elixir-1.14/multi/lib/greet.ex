defmodule Greet do
  def name, do: "runlet"
  def greeting(name), do: "greet: hello, #{name}"
end
