/* Application processor start code, copied to AP_TRAMPOLINE_PHYS (a page below 1 MiB) before
 * the APs are woken. Two ways in:
 *  - INIT-SIPI-SIPI (QEMU, hardware): real mode at AP_TRAMPOLINE_PHYS (SIPI vector 0x08); it
 *    loads a small GDT and the early page tables (entry.S: identity map of the first GiB plus the
 *    kernel's link address) and enters long mode in one step (CR0.PE|PG with EFER.LME).
 *  - the ACPI 6.4 Multiprocessor Wakeup mailbox (motevm, because PVM cannot run a mode switch):
 *    the AP starts in long mode at ap_tramp64 with the monitor's identity map.
 * Both continue at ap_entry64 in the kernel with the stack the boot CPU left in ap_boot_rsp. */
#include "mote/layout.h"

#define REL(x) ((x) - ap_trampoline)
#define PHYS(x) (AP_TRAMPOLINE_PHYS + REL(x))

    .section .rodata
    .balign 16
    .globl ap_trampoline, ap_trampoline_end, ap_tramp64_offset
    .code16
ap_trampoline:
    cli
    movw %cs, %ax
    movw %ax, %ds
    lgdtl REL(tramp_gdt_desc)
    movl $early_pml4, %eax
    movl %eax, %cr3
    movl $0x6a0, %eax                 /* CR4: PAE, PGE, OSFXSR, OSXMMEXCPT */
    movl %eax, %cr4
    movl $0xc0000080, %ecx            /* EFER: SCE, LME, NXE */
    rdmsr
    orl $0x901, %eax
    wrmsr
    movl $0x80010033, %eax            /* CR0: PG, WP, NE, ET, MP, PE */
    movl %eax, %cr0
    ljmpl $SEL_KCODE, $PHYS(ap_tramp64)

    .code64
ap_tramp64:
    /* From the mailbox the monitor's state is only "long mode with paging": set what the kernel
     * relies on (EFER.NXE for its NX mappings, CR4's PGE and SSE bits) as the real-mode path does. */
    movl $0xc0000080, %ecx
    rdmsr
    orl $0x901, %eax
    wrmsr
    movl $0x6a0, %eax
    movq %rax, %cr4
    movl $early_pml4, %eax
    movq %rax, %cr3
    movabsq $ap_entry64, %rax
    jmp *%rax

    .balign 8
tramp_gdt:
    .quad 0
    .quad 0x00af9a000000ffff           /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff           /* 0x10: data */
tramp_gdt_desc:
    .word 23
    .long PHYS(tramp_gdt)
ap_trampoline_end:

ap_tramp64_offset:
    .quad REL(ap_tramp64)

    .text
    .globl ap_entry64
ap_entry64:
    movl $SEL_KDATA, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movabsq $kpml4 - KERNEL_VMA, %rax  /* the kernel's tables: the stack is in KSTACK_AREA */
    movq %rax, %cr3
    movq ap_boot_rsp(%rip), %rsp
    xorl %ebp, %ebp
    call ap_main
    ud2
