/* Exception stubs, the common trap path, the system-call entry and the way into the program.
 * Every path builds a struct trap_frame (include/mote/trap.h) and returns with iretq.
 * Nothing here uses swapgs or the GS base in the kernel: PVM's CPL0 emulator need not know it. */
#include "mote/layout.h"

    .text
.macro TRAP_NOERR vec
    .globl trap_\vec
trap_\vec:
    pushq $0
    pushq $\vec
    jmp trap_common
.endm
.macro TRAP_ERR vec
    .globl trap_\vec
trap_\vec:
    pushq $\vec
    jmp trap_common
.endm

TRAP_NOERR 0
TRAP_NOERR 1
TRAP_NOERR 2
TRAP_NOERR 3
TRAP_NOERR 4
TRAP_NOERR 5
TRAP_NOERR 6
TRAP_NOERR 7
TRAP_ERR 8
TRAP_NOERR 9
TRAP_ERR 10
TRAP_ERR 11
TRAP_ERR 12
TRAP_ERR 13
TRAP_ERR 14
TRAP_NOERR 15
TRAP_NOERR 16
TRAP_ERR 17
TRAP_NOERR 18
TRAP_NOERR 19
TRAP_NOERR 20
TRAP_ERR 21

/* Vectors 32-255 (device interrupts, IPIs, the timer): IRQ_STUB_SIZE bytes each, so the gate
 * of vector v points at irq_stubs + (v - 32) * IRQ_STUB_SIZE (cpu.c). */
    .balign IRQ_STUB_SIZE
    .globl irq_stubs
irq_stubs:
    .set vec, 32
    .rept 224
    .balign IRQ_STUB_SIZE
    pushq $0
    pushq $vec
    jmp trap_common
    .set vec, vec + 1
    .endr

    .section .rodata
    .globl trap_stubs
trap_stubs:
    .quad trap_0, trap_1, trap_2, trap_3, trap_4, trap_5, trap_6, trap_7
    .quad trap_8, trap_9, trap_10, trap_11, trap_12, trap_13, trap_14, trap_15
    .quad trap_16, trap_17, trap_18, trap_19, trap_20, trap_21
    .text

.macro SAVE_REGS
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
.endm

.macro RESTORE_REGS
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
.endm

trap_common:
    SAVE_REGS
    cld
    movq %rsp, %rdi
    call trap_dispatch
    .globl trap_return
trap_return:
    RESTORE_REGS
    addq $16, %rsp
    iretq

/* The system-call entry page: LSTAR points at its user-visible alias SYSCALL_PAGE.
 * On hardware `syscall` arrives here at CPL0 with the program's RSP: swap in the per-CPU block
 * (KERNEL_GS_BASE), switch stacks and jump to syscall_entry in the kernel.
 * Under PVM `syscall` arrives here still at CPL3: swapgs is privileged, so it raises #GP, and
 * trap_dispatch recognises a #GP at SYSCALL_PAGE as a system call. One entry serves both hosts
 * with no test at boot. This page is mapped user-executable, so it holds code only. */
    .section .user.syscall, "ax"
    .globl syscall_page_entry
syscall_page_entry:
    swapgs
    movq %rsp, %gs:PCPU_USER_RSP
    movq %gs:PCPU_KSTACK, %rsp
    jmp *%gs:PCPU_SYSCALL_ENTRY

    .text
    .globl syscall_entry
syscall_entry:
    pushq $SEL_UDATA            /* ss */
    pushq %gs:PCPU_USER_RSP     /* rsp */
    swapgs                      /* the program's GS base again; the kernel never uses GS */
    pushq %r11                  /* rflags */
    pushq $SEL_UCODE            /* cs */
    pushq %rcx                  /* rip */
    pushq $0                    /* error */
    pushq $VEC_SYSCALL_ASM      /* vector */
    SAVE_REGS
    cld
    movq %rsp, %rdi
    call syscall_dispatch
    jmp trap_return

/* arch_enter_user(rip, rsp): the first entry into the program. */
    .globl arch_enter_user
arch_enter_user:
    pushq $SEL_UDATA
    pushq %rsi
    pushq $0x202
    pushq $SEL_UCODE
    pushq %rdi
    xorl %eax, %eax
    xorl %ebx, %ebx
    xorl %ecx, %ecx
    xorl %edx, %edx
    xorl %esi, %esi
    xorl %edi, %edi
    xorl %ebp, %ebp
    xorl %r8d, %r8d
    xorl %r9d, %r9d
    xorl %r10d, %r10d
    xorl %r11d, %r11d
    xorl %r12d, %r12d
    xorl %r13d, %r13d
    xorl %r14d, %r14d
    xorl %r15d, %r15d
    iretq

/* arch_context_switch(&prev->rsp, next->rsp): saves the callee-saved registers on the current
 * stack, switches stacks, restores the next thread's and returns into it. */
    .globl arch_context_switch
arch_context_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

/* The first "return" of a new thread lands here (see arch_thread_stack in sched.c). */
    .globl arch_thread_trampoline
arch_thread_trampoline:
    xorl %ebp, %ebp
    call thread_start
    ud2
