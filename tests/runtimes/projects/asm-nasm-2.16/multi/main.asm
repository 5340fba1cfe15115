; add(3, 4) from mathutil.asm, the greeting from lib/greet.asm
        global _start
        extern add, print, greeting, greeting_len
        section .data
head:   db "add(3, 4) = "
headlen: equ $ - head
digit:  db "0", 10
        section .text
_start: mov rsi, head
        mov rdx, headlen
        call print
        mov rdi, 3
        mov rsi, 4
        call add
        add [digit], al
        mov rsi, digit
        mov rdx, 2
        call print
        mov rsi, greeting
        mov rdx, [greeting_len]
        call print
        mov rax, 60
        xor rdi, rdi
        syscall
