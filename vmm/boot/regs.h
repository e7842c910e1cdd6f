/* vCPU register state at the kernel's entry, as plain KVM structs (no ioctl here):
 * Linux 64-bit entry (boot.rst "64-bit BOOT PROTOCOL") and PVH entry (32-bit, paging off). */
#ifndef VMM_BOOT_REGS_H
#define VMM_BOOT_REGS_H

#include <linux/kvm.h>
#include <stdint.h>

#include "vmm/config.h"

#define X86_CR0_PE 0x1ull
#define X86_CR0_MP 0x2ull
#define X86_CR0_ET 0x10ull
#define X86_CR0_NE 0x20ull
#define X86_CR0_WP 0x10000ull
#define X86_CR0_PG 0x80000000ull
#define X86_CR4_PAE 0x20ull
#define EFER_LME 0x100ull
#define EFER_LMA 0x400ull

#define BOOT_CR0_LONG (X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG)
#define BOOT_CR0_PVH (X86_CR0_PE | X86_CR0_ET)

#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_MODE_NMI 0x4
#define APIC_MODE_EXTINT 0x7

/* General registers: Linux: RIP = entry, RSI = zero page, RSP = RBP = 0x8ff0, RFLAGS = 2;
 * PVH: EIP = entry, EBX = hvm_start_info, RFLAGS = 2. */
void boot_regs(struct kvm_regs *r, enum boot_protocol proto, uint64_t entry);

/* Segment and control registers on top of what KVM_GET_SREGS returned (APIC base and
 * interrupt bitmap are kept): GDT/IDT, CS/DS/ES/FS/GS/SS/TR from the GDT, CR0/CR3/CR4/EFER. */
void boot_sregs(struct kvm_sregs *s, enum boot_protocol proto);

/* An AP woken through the ACPI Multiprocessor Wakeup mailbox: RIP = entry (the mailbox's
 * WakeupVector), RDI = its APIC id, RSP = 0 (the guest brings its own stack), RFLAGS = 2,
 * every other general register 0. */
void boot_ap_regs(struct kvm_regs *r, uint32_t apic_id, uint64_t entry);

/* Its segment and control registers: the Linux 64-bit entry's (CS 0x08, data 0x10, TR 0x18,
 * CR0/CR4/EFER) with the GDT, IDT and identity page tables of the reserved AP copy
 * (AP_GDT_ADDR, AP_IDT_ADDR, CR3 = AP_PML4_ADDR). APIC base and interrupt bitmap are kept. */
void boot_ap_sregs(struct kvm_sregs *s);

/* x87 control word 0x37f, MXCSR 0x1f80 (their reset values). */
void boot_fpu(struct kvm_fpu *f);

/* LINT0 = ExtINT, LINT1 = NMI (the virtual-wire mode the MP table describes). */
void boot_lapic(struct kvm_lapic_state *l);

#endif
