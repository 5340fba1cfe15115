; copies stdin to stdout with a-z made upper case
        global _start
        section .bss
buf:    resb 4096
        section .text
_start:
.read:  xor rax, rax
        xor rdi, rdi
        mov rsi, buf
        mov rdx, 4096
        syscall
        test rax, rax
        jle .done
        mov rcx, rax
        xor rbx, rbx
.loop:  mov dl, [buf + rbx]
        cmp dl, 'a'
        jb .next
        cmp dl, 'z'
        ja .next
        sub dl, 32
        mov [buf + rbx], dl
.next:  inc rbx
        cmp rbx, rcx
        jb .loop
        mov rdx, rcx
        mov rax, 1
        mov rdi, 1
        mov rsi, buf
        syscall
        jmp .read
.done:  mov rax, 60
        xor rdi, rdi
        syscall
