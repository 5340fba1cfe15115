        global _start
        section .text
_start: mov rax, undefined_thing
        mov rax, 60
        syscall
