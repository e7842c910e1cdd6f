/* The guest machine's physical layout: Firecracker v1.10's x86_64 map, so that a guest built for
 * Firecracker boots unchanged. Every guest-physical constant of the monitor lives here.
 *
 *   0x0000_0500  GDT: null, code64 (0x08), data (0x10), TSS (0x18)
 *   0x0000_0520  IDT: one zero entry (interrupts stay off until the kernel loads its own)
 *   0x0000_6000  PVH hvm_start_info            (PVH boot)
 *   0x0000_6040  PVH module list (initrd)      (PVH boot)
 *   0x0000_7000  zero page, struct boot_params (Linux boot) / PVH memory map (PVH boot)
 *   0x0000_8ff0  initial RSP and RBP, stack grows down below it
 *   0x0000_9000  PML4, 0xa000 PDPT, 0xb000 PD: first 1 GiB identity-mapped with 2 MiB pages
 *   0x0002_0000  kernel command line, CMDLINE_MAX bytes including the NUL
 *   0x0009_fc00  MP floating pointer + configuration table; e820 reserved up to 1 MiB
 *   0x000a_0000  AP wake-up PML4, 0xa1000 PDPT, 0xa2000 PD (first 1 GiB identity-mapped) and
 *                0xa3000 GDT/IDT: the state the mailbox gives a woken AP (reserved, so the
 *                guest cannot have reused them, unlike the boot tables at 0x500/0x9000)
 *   0x000e_0000  ACPI: RSDP, then XSDT, FADT, MADT, DSDT (vmm/acpi/acpi.h), up to 1 MiB
 *   0x0010_0000  lowest address a kernel PT_LOAD segment may use
 *   ...          initrd, page-aligned, at the top of the RAM below the MMIO gap
 *   0xd000_0000  MMIO gap start: 4 KiB slots, the boot timer's first (--boot-timer), then virtio
 *   0xfec0_0000  IOAPIC, 0xfee0_0000 LAPIC (inside the gap)
 *   0xfef0_0000  ACPI Multiprocessor Wakeup mailbox (4 KiB of MMIO, emulated by motevm)
 *   0xfffb_d000  KVM's TSS (KVM_SET_TSS_ADDR, three pages, inside the gap)
 *   4 GiB        RAM beyond the gap start continues here (second memory slot)
 */
#ifndef VMM_BOOT_LAYOUT_H
#define VMM_BOOT_LAYOUT_H

#include <stdint.h>

typedef uint64_t gpa_t;

#define GDT_ADDR 0x500ull
#define IDT_ADDR 0x520ull
#define PVH_INFO_ADDR 0x6000ull
#define PVH_MODLIST_ADDR 0x6040ull
#define PVH_MEMMAP_ADDR 0x7000ull
#define ZERO_PAGE_ADDR 0x7000ull
#define BOOT_STACK_ADDR 0x8ff0ull
#define PML4_ADDR 0x9000ull
#define PDPT_ADDR 0xa000ull
#define PD_ADDR 0xb000ull
#define CMDLINE_ADDR 0x20000ull
#define CMDLINE_MAX 2048u /* bytes at CMDLINE_ADDR, NUL included */

#define EBDA_START 0x9fc00ull    /* end of the low RAM entry in e820 */
#define MPTABLE_ADDR EBDA_START
#define MPTABLE_MAX 0x400u       /* the MP table must fit below 0xa0000 */
#define HIMEM_START 0x100000ull  /* 1 MiB: RAM resumes, kernel segments start */

/* With ACPI on: the tables the Multiprocessor Wakeup mailbox starts an AP with. They repeat
 * the Linux-entry GDT and identity map, at addresses the e820 map reserves. */
#define AP_PML4_ADDR 0xa0000ull
#define AP_PDPT_ADDR 0xa1000ull
#define AP_PD_ADDR 0xa2000ull
#define AP_GDT_ADDR 0xa3000ull
#define AP_IDT_ADDR 0xa3020ull

/* ACPI tables (ACPI 6.5 §5.2): fixed slots so their addresses do not move with the vCPU or
 * device count. The RSDP is where a BIOS-area scan finds it (§5.2.5.1). */
#define ACPI_RSDP_ADDR 0xe0000ull
#define ACPI_XSDT_ADDR 0xe0100ull
#define ACPI_FADT_ADDR 0xe0200ull
#define ACPI_MADT_ADDR 0xe0400ull
#define ACPI_DSDT_ADDR 0xe1000ull
#define ACPI_AREA_END HIMEM_START

#define MMIO_GAP_START 0xd0000000ull
#define MMIO_GAP_END 0x100000000ull /* 4 GiB */
#define BOOT_TIMER_MMIO_ADDR MMIO_GAP_START
#define MMIO_SLOT_SIZE 0x1000ull
/* virtio-mmio devices: 4 KiB slots from MMIO_GAP_START (after the boot timer's, when it has
 * one) with GSIs VIRTIO_IRQ_FIRST..VIRTIO_IRQ_LAST, as Firecracker v1.10 allocates them. */
#define VIRTIO_IRQ_FIRST 5u
#define VIRTIO_IRQ_LAST 23u

#define IOAPIC_ADDR 0xfec00000ull
#define LAPIC_ADDR 0xfee00000ull
#define KVM_TSS_ADDR 0xfffbd000ull
/* ACPI 6.4 §5.2.12.19 mailbox: not RAM, so every access exits to motevm. Above the LAPIC and
 * its MSI window, clear of the virtio-mmio slots and of Firecracker's PCI windows. */
#define MP_WAKEUP_MAILBOX_ADDR 0xfef00000ull
#define MP_WAKEUP_MAILBOX_SIZE 0x1000ull

/* Hardware-reduced ACPI sleep control and status register (ACPI 6.5 §4.8.3.7), one I/O port
 * for both, as Cloud Hypervisor has it. Writing SLP_TYP=5 | SLP_EN (0x34) powers off. */
#define ACPI_SLEEP_PORT 0x3c0

#define PAGE_SIZE_4K 0x1000ull
#define PAGE_SIZE_2M 0x200000ull

/* Segment selectors: GDT index << 3. */
#define SEL_CODE 0x08
#define SEL_DATA 0x10
#define SEL_TSS 0x18

#endif
