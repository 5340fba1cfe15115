-module(main).
-export([main/0]).

main() -> loop().

loop() ->
    case io:get_line("") of
        eof -> ok;
        Line -> io:put_chars(string:uppercase(Line)), loop()
    end.
