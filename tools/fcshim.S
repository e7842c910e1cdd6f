/* fcshim: a PVH kernel for QEMU that starts another kernel the way Firecracker does. QEMU loads
 * an fcimage file (tools/fcimage.c: guest RAM as motevm builds it) at FCIMAGE_STAGE with
 * `-device loader`; the shim copies it to address 0 (skipping the legacy 0xa0000-0xdffff hole;
 * 0xe0000-0xeffff, where motevm's ACPI tables are, is copied: RAM on QEMU microvm),
 * then enters long mode with the image's own GDT (0x500), IDT (0x520) and page tables (0x9000),
 * and jumps to the kernel's entry with RSI = 0x7000 and RSP = RBP = 0x8ff0, RFLAGS = 2: the
 * register state of Firecracker's Linux 64-bit boot (docs/motevm.md). TR is left alone: the
 * image's TSS descriptor is marked busy, as KVM's SET_SREGS takes it, which ltr refuses.
 *
 * With a RAM mailbox in the header (fcimage --mailbox-ram), the shim also plays the firmware of
 * the ACPI 6.4 Multiprocessor Wakeup protocol: it starts the APs (INIT-SIPI-SIPI to a small
 * program in reserved memory at APFW), which enter long mode on motevm's AP page tables (CR3
 * 0xa0000, GDT 0xa3000) and poll the mailbox; when Command = 1 names their APIC id they clear
 * it and jump to WakeupVector with RDI = APIC id, as motevm hands a woken AP over. */
#include "tools/fcimage.h"

#define HDR_ENTRY (FCIMAGE_STAGE + 8)
#define HDR_RAM (FCIMAGE_STAGE + 16)
#define HDR_MAILBOX (FCIMAGE_STAGE + 24)
#define APFW 0xef000                 /* e820-reserved in motevm's layout; not in ACPI's pages */
#define LAPIC_ICR 0xfee00300
#define LAPIC_SVR 0xfee000f0
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
    movl $DATA, %esi                         /* [0, 0xf0000): low RAM, the AP tables at */
    xorl %edi, %edi                          /* 0xa0000 and the ACPI tables at 0xe0000 */
    movl $0xf0000, %ecx
    rep movsb
    movl $DATA + 0x100000, %esi              /* RAM from 1 MiB */
    movl $0x100000, %edi
    movl %ebx, %ecx
    subl $0x100000, %ecx
    rep movsb

    movl HDR_MAILBOX, %eax
    testl %eax, %eax
    jz 1f
    call start_ap_firmware
1:
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

/* EAX = the mailbox address. Copies the AP program to APFW, clears the mailbox, and wakes every
 * other CPU into it. */
start_ap_firmware:
    movl %eax, apfw_mailbox
    movl %eax, %edi
    xorl %eax, %eax
    movl $4096, %ecx
    rep stosb
    movl $apfw, %esi
    movl $APFW, %edi
    movl $apfw_end - apfw, %ecx
    rep movsb
    movl $0x1ff, LAPIC_SVR                   /* software-enable the LAPIC */
    movl $0x000c4500, %eax                   /* INIT, level, assert, all excluding self */
    call send_ipi
    movl $0x000c4600 + (APFW >> 12), %eax    /* STARTUP, all excluding self */
    call send_ipi
    movl $0x000c4600 + (APFW >> 12), %eax
    call send_ipi
    ret

send_ipi:
    movl %eax, LAPIC_ICR
1:  testl $0x1000, LAPIC_ICR                 /* delivery status */
    jnz 1b
    ret

/* The AP program, copied to APFW and entered in real mode with CS = APFW >> 4. */
#define APFW_ADDR(x) (APFW + (x) - apfw)
    .code16
apfw:
    cli
    lgdtl %cs:(apfw_gdtr - apfw)
    movl $0x20, %eax                         /* CR4.PAE */
    movl %eax, %cr4
    movl $0xa0000, %eax                      /* motevm's AP page tables */
    movl %eax, %cr3
    movl $0xc0000080, %ecx
    rdmsr
    orl $0x100, %eax                         /* EFER.LME */
    wrmsr
    movl $0x80010033, %eax
    movl %eax, %cr0
    ljmpl $0x08, $APFW_ADDR(apfw64)
    .code64
apfw64:
    movl $0x10, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movl $1, %eax
    cpuid
    shrl $24, %ebx                           /* initial APIC id */
    movl APFW_ADDR(apfw_mailbox), %esi
1:  pause
    cmpw $1, (%rsi)                          /* Command = wakeup */
    jne 1b
    cmpl %ebx, 4(%rsi)                       /* for this APIC id? */
    jne 1b
    movq 8(%rsi), %rax
    movw $0, (%rsi)                          /* acknowledge */
    movl %ebx, %edi
    xorl %esp, %esp
    xorl %ebp, %ebp
    xorl %ebx, %ebx
    xorl %ecx, %ecx
    xorl %edx, %edx
    xorl %esi, %esi
    jmp *%rax
    .balign 8
apfw_gdtr:
    .word 31
    .long 0xa3000
apfw_mailbox:
    .long 0
apfw_end:

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
