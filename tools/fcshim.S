/* fcshim: a PVH kernel for QEMU that starts another kernel the way Firecracker does. QEMU loads
 * an fcimage file (tools/fcimage.c: guest RAM as motevm builds it) at FCIMAGE_STAGE with
 * `-device loader`; the shim copies it to address 0 (skipping the legacy 0xa0000-0xdffff hole;
 * 0xe0000-0xeffff, where motevm's ACPI tables are, is copied: RAM on QEMU microvm),
 * then enters long mode with the image's own GDT (0x500), IDT (0x520) and page tables (0x9000),
 * and jumps to the kernel's entry with RSI = 0x7000 and RSP = RBP = 0x8ff0, RFLAGS = 2: the
 * register state of Firecracker's Linux 64-bit boot (docs/motevm.md). TR is left alone: the
 * image's TSS descriptor is marked busy, as KVM's SET_SREGS takes it, which ltr refuses. */
#include "tools/fcimage.h"

#define HDR_ENTRY (FCIMAGE_STAGE + 8)
#define HDR_RAM (FCIMAGE_STAGE + 16)
#define DATA (FCIMAGE_STAGE + 4096)

    .section .text, "ax"
    .code32
    .globl shim_entry
shim_entry:
    cld
    cmpl $0x45544f4d, FCIMAGE_STAGE         /* "MOTE" */
    jne fail
    movl HDR_RAM, %ebx
    cmpl $FCIMAGE_MAX_RAM, %ebx
    ja fail
    cmpl $0x100000, %ebx
    jb fail
    movl $DATA, %esi                         /* low RAM [0, 0xa0000) */
    xorl %edi, %edi
    movl $0xa0000, %ecx
    rep movsb
    movl $DATA + 0xe0000, %esi               /* ACPI tables */
    movl $0xe0000, %edi
    movl $0x10000, %ecx
    rep movsb
    movl $DATA + 0x100000, %esi              /* RAM from 1 MiB */
    movl $0x100000, %edi
    movl %ebx, %ecx
    subl $0x100000, %ecx
    rep movsb

    lgdt gdt_desc
    lidt idt_desc
    movl $0x20, %eax                          /* CR4.PAE */
    movl %eax, %cr4
    movl $0x9000, %eax
    movl %eax, %cr3
    movl $0xc0000080, %ecx                    /* EFER.LME */
    rdmsr
    orl $0x100, %eax
    wrmsr
    movl $0x80010033, %eax                    /* PG | WP | NE | ET | MP | PE */
    movl %eax, %cr0
    ljmp $0x08, $long64

    .code64
long64:
    movl $0x10, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %fs
    movl %eax, %gs
    movl %eax, %ss
    movq HDR_ENTRY, %rax
    movq $0x7000, %rsi
    movq $0x8ff0, %rsp
    movq %rsp, %rbp
    pushq $2
    popfq
    xorl %ebx, %ebx
    xorl %ecx, %ecx
    xorl %edx, %edx
    xorl %edi, %edi
    jmp *%rax

    .code32
fail:
    hlt
    jmp fail

    .section .data, "aw"
    .balign 8
gdt_desc:
    .word 0x1f
    .long 0x500
idt_desc:
    .word 0x7
    .long 0x520

    .section .note.Xen, "a", @note
    .balign 4
    .long 4
    .long 8
    .long 18
    .asciz "Xen"
    .quad shim_entry
