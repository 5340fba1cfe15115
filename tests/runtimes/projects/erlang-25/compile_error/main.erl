-module(main).
-export([main/0]).

main() ->
    io:format("~p~n", [undefined_thing()]).
