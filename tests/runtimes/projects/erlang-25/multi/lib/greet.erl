-module(greet).
-export([name/0, greeting/1]).

name() -> "runlet".

greeting(Name) -> "greet: hello, " ++ Name.
