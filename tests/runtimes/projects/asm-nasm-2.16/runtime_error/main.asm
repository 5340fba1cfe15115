        global _start
        section .data
msg:    db "about to fail", 10
len:    equ $ - msg
        section .text
_start: mov rax, 1
        mov rdi, 2
        mov rsi, msg
        mov rdx, len
        syscall
        mov rax, 60
        mov rdi, 3
        syscall
