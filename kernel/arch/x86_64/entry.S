/* Kernel entry points and the early page tables.
 *
 * linux_entry64: the Linux 64-bit boot protocol (boot.rst "64-bit BOOT PROTOCOL"): long mode, paging
 *   with an identity map of the loaded kernel, RSI = boot_params (zero page). This is how
 *   Firecracker and motevm start a vmlinux; it is the ELF e_entry.
 * pvh_entry32: the PVH entry (Xen start_info.h; advertised by the XEN_ELFNOTE_PHYS32_ENTRY note):
 *   32-bit protected mode, paging off, EBX = hvm_start_info. QEMU -kernel uses it.
 * Both load our own GDT, CR0/CR4/EFER and page tables, then continue at boot64_high in the top
 * 2 GiB, which calls kernel_main(protocol, info_phys, entry_tsc).
 *
 * The early page tables are static: PML4[0] (identity) and PML4[256] (direct map) reach the first
 * 1 GiB through 2 MiB pages, PML4[511] maps the kernel image at KERNEL_VMA. mm/paging.c replaces
 * them before the program runs. */
#include "mote/layout.h"

#define CR0_PE (1 << 0)
#define CR0_MP (1 << 1)
#define CR0_ET (1 << 4)
#define CR0_NE (1 << 5)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define CR4_PGE (1 << 7)
#define CR4_OSFXSR (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define MSR_EFER 0xc0000080
#define EFER_SCE (1 << 0)
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)

#define BOOT_CR0 (CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG)
#define BOOT_CR4 (CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT)

    .section .boot.text, "ax"

    .code32
    .globl pvh_entry32
pvh_entry32:
    rdtsc
    movl %eax, entry_tsc
    movl %edx, entry_tsc + 4
    movl %ebx, boot_info_ptr
    movl $BOOT_PVH, boot_protocol
    lgdt early_gdt_desc
    movl %cr4, %eax
    orl $BOOT_CR4, %eax
    movl %eax, %cr4
    movl $early_pml4, %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $(EFER_LME | EFER_NXE | EFER_SCE), %eax
    wrmsr
    movl $BOOT_CR0, %eax
    movl %eax, %cr0
    ljmp $SEL_KCODE, $boot64_common

    .code64
    .globl linux_entry64
linux_entry64:
    rdtsc
    movl %eax, entry_tsc(%rip)
    movl %edx, entry_tsc + 4(%rip)
    movq %rsi, boot_info_ptr(%rip)
    movl $BOOT_LINUX64, boot_protocol(%rip)
    lgdt early_gdt_desc(%rip)
    pushq $SEL_KCODE
    leaq boot64_common(%rip), %rax
    pushq %rax
    lretq

/* Long mode with our GDT, still at physical addresses. */
boot64_common:
    movl $SEL_KDATA, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    xorl %eax, %eax
    movl %eax, %fs
    movl %eax, %gs
    movq $BOOT_CR4, %rax
    movq %rax, %cr4
    movl $MSR_EFER, %ecx
    rdmsr
    orl $(EFER_LME | EFER_NXE | EFER_SCE), %eax
    wrmsr
    movl $early_pml4, %eax
    movq %rax, %cr3
    movq $BOOT_CR0, %rax
    movq %rax, %cr0
    movabsq $boot64_high, %rax
    jmp *%rax

    .section .boot.data, "aw"
    .balign 4096
    .globl early_pml4
early_pml4:
    .quad early_pdpt_lo + 3
    .fill 255, 8, 0
    .quad early_pdpt_lo + 3
    .fill 254, 8, 0
    .quad early_pdpt_hi + 3
early_pdpt_lo:
    .quad early_pd + 3
    .fill 511, 8, 0
early_pdpt_hi:
    .fill 510, 8, 0
    .quad early_pd + 3
    .quad 0
early_pd:
    .set i, 0
    .rept 512
    .quad (i << 21) | 0x83
    .set i, i + 1
    .endr

    .balign 16
early_gdt:
    .quad 0
    .quad 0x00af9a000000ffff    /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff    /* 0x10: data */
early_gdt_end:
early_gdt_desc:
    .word early_gdt_end - early_gdt - 1
    .quad early_gdt

    .balign 8
    .globl entry_tsc
entry_tsc: .quad 0
boot_info_ptr: .quad 0
boot_protocol: .long 0

/* The PVH note: loaders find the 32-bit entry here. Desc is 8 bytes, as Linux writes it. */
    .section .note.Xen, "a", @note
    .balign 4
    .long 4
    .long 8
    .long 18                    /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .quad pvh_entry32

/* Now in the top 2 GiB. */
    .text
boot64_high:
    /* The top 16 bytes of every kernel stack hold its thread pointer (mote/sched.h). */
    movabsq $boot_stack_top - 16, %rsp
    xorl %ebp, %ebp
    /* The identity map still holds: the .boot variables are at their physical addresses. */
    movl boot_protocol, %edi
    movq boot_info_ptr, %rsi
    movq entry_tsc, %rdx
    call kernel_main
1:  hlt
    jmp 1b

/* The boot stack: KSTACK_SIZE-aligned like every thread stack, an unmapped guard page below. */
    .section .bss.stack, "aw", @nobits
    .balign KSTACK_SIZE
    .skip KSTACK_SIZE - 4096
    .globl boot_stack_guard, boot_stack, boot_stack_top
boot_stack_guard:
    .skip 4096
boot_stack:
    .skip KSTACK_SIZE
boot_stack_top:

/* The kernel's own page tables, static so that no instruction at boot has to zero or fill them
 * (mm/paging.c links them together). .bss is zeroed by the loader, as ELF requires. */
    .section .bss.pgtables, "aw", @nobits
    .balign 4096
    .globl kpml4, kpdpt_direct, kpdpt_kernel, kpd_kernel, kpt_kernel
kpml4:          .skip 4096
kpdpt_direct:   .skip 4096
kpdpt_kernel:   .skip 4096
kpd_kernel:     .skip 4096
kpt_kernel:     .skip 4096 * KPT_COUNT

/* The direct map of the first GiB: 512 2 MiB pages, present, writable, accessed, dirty, global,
 * no-execute. Assembled here, so it costs the boot nothing. */
    .section .data.pgtables, "aw"
    .balign 4096
    .globl kpd_direct0
kpd_direct0:
    .set i, 0
    .rept 512
    .quad (i << 21) | 0x1e3 | (1 << 63)
    .set i, i + 1
    .endr
