/* The kernel's virtual memory layout (x86-64, 4-level paging).
 *   0 .. 0x00007fffffffffff          the program (user half), owned by mm/uspace.c
 *   0x00007ffffffff000               the system-call entry page (user RX), see arch entry.S
 *   0xffff800000000000 + phys        direct map of RAM (supervisor, NX)
 *   0xffffc90000000000               device MMIO mappings (ioremap), uncached
 *   0xffffd00000000000               vmalloc: large kernel blocks from single pages (mm/heap.c)
 *   0xffffe00000000000               thread kernel stacks: 32 KiB slots, the low half an unmapped
 *                                    guard, the high half the stack (16 KiB aligned)
 *   0xffffffff80000000 + phys        the kernel image (supervisor, per-section rights)
 * Assembly includes this file too, so it holds only #defines. */
#ifndef MOTE_LAYOUT_H
#define MOTE_LAYOUT_H

#define KERNEL_VMA 0xffffffff80000000
#define DIRECT_MAP 0xffff800000000000
#define USER_TOP 0x0000800000000000
#define IOREMAP_BASE 0xffffc90000000000
#define IOREMAP_SIZE (1ull << 30)
#define VMALLOC_START 0xffffd00000000000 /* 512 GiB of kernel virtual space (mm/heap.c) */
#define VMALLOC_END 0xffffd08000000000
#define KSTACK_AREA 0xffffe00000000000
#define KSTACK_SIZE 16384
#define KSTACK_SLOT (2 * KSTACK_SIZE)
#define SYSCALL_PAGE 0x00007ffffffff000
#define USER_STACK_TOP 0x00007fffffff0000 /* a gap of unmapped pages under the syscall page */
#define PAGE_SIZE 4096
#define PAGE_SHIFT 12

/* GDT selectors. 0x08/0x10 are Firecracker's; the user pair follows the order sysret needs
 * (STAR[63:48] = 0x1b: SS = 0x23, CS = 0x2b). */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x23
#define SEL_UCODE 0x2b
#define SEL_TSS 0x30
#define STAR_USER_BASE 0x1b

/* struct percpu offsets, used by the system-call entry (entry.S). */
#define PCPU_KSTACK 0
#define PCPU_USER_RSP 8
#define PCPU_SYSCALL_ENTRY 16
#define VEC_SYSCALL_ASM 0x100
#define IRQ_STUB_SIZE 16 /* bytes between the vector 32-255 stubs in traps.S */

/* Boot protocols, as passed from the entry code to kernel_main. */
#define BOOT_LINUX64 1
#define BOOT_PVH 2

/* Page tables for the kernel image (arch entry.S, mm/paging.c): the image may span this many
 * 2 MiB regions. */
#define KPT_COUNT 2

/* Where the AP start code is copied (a page below 1 MiB that page_init never hands out). */
#define AP_TRAMPOLINE_PHYS 0x8000

#endif
