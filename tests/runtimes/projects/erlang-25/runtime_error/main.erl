-module(main).
-export([main/0]).

main() ->
    io:format(standard_error, "about to fail~n", []),
    halt(3).
