        global greeting, greeting_len
        section .data
greeting: db "greet: hello, runlet", 10
greeting_len: dq $ - greeting
