-module(main).
-export([main/0]).

main() ->
    io:format("add(3, 4) = ~p~n", [mathutil:add(3, 4)]),
    io:format("~s~n", [greet:greeting(greet:name())]).
