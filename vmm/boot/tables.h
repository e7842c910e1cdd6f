/* Boot-time CPU tables the monitor writes into guest memory: the identity page tables for the
 * Linux 64-bit entry and the GDT for both entries (layout.h), plus the decoding of a GDT
 * descriptor into the segment register KVM loads (Intel SDM vol. 3 §3.4.5). */
#ifndef VMM_BOOT_TABLES_H
#define VMM_BOOT_TABLES_H

#include <linux/kvm.h>
#include <stdint.h>

#include "vmm/boot/layout.h"
#include "vmm/config.h"

#define BOOT_GDT_ENTRIES 4
#define PT_ENTRIES 512

/* Descriptors as Firecracker writes them (null, code, data, TSS). */
#define GDT_CODE64 0x00af9b000000ffffull   /* L=1, DPL0, execute/read, accessed */
#define GDT_DATA 0x00cf93000000ffffull     /* 4 GiB flat, read/write, accessed */
#define GDT_TSS64 0x008f8b000000ffffull    /* busy TSS */
#define GDT_CODE32 0x00cf9b000000ffffull   /* PVH: 4 GiB flat 32-bit code, D=1 */
#define GDT_TSS32 0x00008b0000000067ull    /* PVH: busy TSS, limit 0x67 */

/* PML4[0] -> PDPT, PDPT[0] -> PD, PD[i] = (i << 21) | present | writable | 2 MiB page:
 * the first 1 GiB identity-mapped. Each table is PT_ENTRIES entries. */
void boot_page_tables(uint64_t *pml4, uint64_t *pdpt, uint64_t *pd);

/* The same map with the PDPT and PD at other guest-physical addresses (the AP wake-up copy). */
void boot_page_tables_at(uint64_t *pml4, uint64_t *pdpt, uint64_t *pd, gpa_t pdpt_addr,
                         gpa_t pd_addr);

/* The four descriptors for the chosen entry. */
void boot_gdt(uint64_t gdt[BOOT_GDT_ENTRIES], enum boot_protocol proto);

/* Unpacks a descriptor (limit scaled by G) into a KVM segment with the given selector. */
void gdt_to_segment(uint64_t desc, uint16_t selector, struct kvm_segment *seg);

#endif
